using System;
using System.Linq;
using S3Replication.Commands.Batch;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Commands;

/// <summary>
/// -Timeout of the commands that wait for Batch Operations jobs: zero, negative, sub-second or a bare number (ticks) would
/// end the wait after the first look, and a computed-checksum compare would have created its two paid jobs for nothing.
/// Refused as it is bound ([Duration]), before any request: the stand-in hears nothing.
/// </summary>
public sealed class JobTimeoutTests : IDisposable
{
    private readonly HostedPowerShell _shell = new();
    private readonly LoopbackS3 _s3 = LoopbackS3.Start();

    public JobTimeoutTests()
    {
        _s3.AddBucket("to-backup");
        _s3.AddBucket("to-source");
        _s3.AddBucket("to-work");
        _shell.UseSession(_s3.Session());
    }

    public void Dispose()
    {
        _shell.Dispose();
        _s3.Dispose();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("300")]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    [InlineData("00:00:00.500")]
    public void A_timeout_shorter_than_a_poll_is_refused_before_anything_is_asked_or_created(string timeout)
    {
        foreach (var command in new[]
        {
            "Compare-S3BackupBucket -SourceBucket to-source -BackupBucket to-backup -CompareBy ComputedChecksum -WorkBucket to-work " +
                $"-RoleArn arn:aws:iam::111122223333:role/BatchVerify -AccountId 111122223333 -Timeout '{timeout}'",
            $"Wait-S3BackupBatchJob -JobId job-12345 -AccountId 111122223333 -Timeout '{timeout}'",
        })
        {
            var (_, errors) = _shell.Run(command + " -ErrorAction Continue");
            var error = Assert.Single(errors);
            Assert.StartsWith("ParameterArgumentTransformationError,", error.FullyQualifiedErrorId);
            Assert.Contains("A duration is a [TimeSpan] or text such as 00:05:00, 90s, 5m or 2h, of at least one second", error.Exception.Message);
            Assert.Contains("Nothing was done.", error.Exception.Message);
        }
        Assert.Empty(_s3.Log);
        Assert.Empty(_s3.Jobs);
    }

    [Fact]
    public void Both_commands_declare_the_same_rule_and_default()
    {
        var (output, errors) = _shell.Run(
            "foreach ($command in (Get-Command Wait-S3BackupBatchJob), (Get-Command Compare-S3BackupBucket -ArgumentList '-CompareBy', 'ComputedChecksum')) { " +
            "  @($command.Parameters['Timeout'].Attributes | Where-Object { $_.GetType().Name -eq 'DurationAttribute' }).Count }");
        Assert.Empty(errors);
        Assert.Equal(new object[] { 1, 1 }, output.Select(item => item.BaseObject));
        Assert.Equal(new WaitS3BackupBatchJobCommand().Timeout, new ComputedChecksumParameters().Timeout);
    }
}
