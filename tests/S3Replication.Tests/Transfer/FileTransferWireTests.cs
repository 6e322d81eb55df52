using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>Download paths that need a server to misbehave on cue: resuming a partial file, a changed object, a damaged body.</summary>
public sealed class FileTransferWireTests : IDisposable
{
    /// <summary>One attempt per request: what a single attempt leaves behind is what these tests look at.</summary>
    private static readonly RetryPolicy Once = RetryPolicies.S3 with { Attempts = 1 };

    private static readonly DateTime Modified = new(2025, 1, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _folder = Directory.CreateTempSubdirectory("s3r-download-").FullName;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(100);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string ETag => Convert.ToHexString(MD5.HashData(_content)).ToLowerInvariant();

    private S3ObjectRecord Record() => new() { Bucket = "backup", Key = "imap/a.cdf", Size = _content.Length, ETag = $"\"{ETag}\"", LastModified = Modified };

    private HttpResponseMessage Body(byte[] bytes, int from, HttpStatusCode status)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(bytes, from, bytes.Length - from) };
        response.Headers.TryAddWithoutValidation("ETag", $"\"{ETag}\"");
        response.Content.Headers.LastModified = Modified;
        if (status == HttpStatusCode.PartialContent)
        {
            response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, bytes.Length - 1, bytes.Length);
        }
        return response;
    }

    private string FinalPath => Path.Combine(_folder, "imap", "a.cdf");

    [Theory]
    [InlineData(0, true)]
    [InlineData(300, false)]
    [InlineData(-999, false)]
    public async Task Only_the_exact_time_a_download_stamps_skips_the_content_check(int offsetMilliseconds, bool skipped)
    {
        // Same size, other bytes, written within a second of the object's LastModified.
        var fake = new FakeS3(sent => Body(_content, 0, HttpStatusCode.OK));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(FinalPath)!);
        await File.WriteAllBytesAsync(FinalPath, RandomNumberGenerator.GetBytes(_content.Length));
        File.SetLastWriteTimeUtc(FinalPath, Modified.AddMilliseconds(offsetMilliseconds));

        if (skipped)
        {
            Assert.False((await transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default)).Transferred);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<S3BackupException>(() => transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default));
            Assert.Equal(ErrorId.FileExists, refused.ErrorId);
        }
        Assert.Empty(fake.Requests);
    }

    [Fact]
    public async Task A_partial_download_is_resumed_from_where_it_stopped_if_the_object_is_unchanged()
    {
        var fake = new FakeS3(sent => Body(_content, 40, HttpStatusCode.PartialContent));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(FinalPath)!);
        await File.WriteAllBytesAsync(FileTransfer.PartialPathFor(FinalPath, Record()), _content[..40]);

        var outcome = await transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default);

        Assert.Equal(new TransferOutcome(true, TransferReason.Resumed, 60), outcome with { VersionId = null });
        Assert.Equal(_content, await File.ReadAllBytesAsync(FinalPath));
        Assert.Equal(Modified, File.GetLastWriteTimeUtc(FinalPath));
        var get = Assert.Single(fake.Requests);
        Assert.Equal("bytes=40-99", get.Headers["range"]);
        Assert.Equal($"\"{ETag}\"", get.Headers["if-match"]);
        Assert.Equal(new[] { "a.cdf" }, Directory.GetFiles(Path.GetDirectoryName(FinalPath)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_partial_download_of_an_object_that_changed_starts_over()
    {
        var fake = new FakeS3(sent => sent.Headers.ContainsKey("range")
            ? FakeS3.Xml("<Error><Code>PreconditionFailed</Code><Message>At least one of the preconditions you specified did not hold</Message></Error>", HttpStatusCode.PreconditionFailed)
            : Body(_content, 0, HttpStatusCode.OK));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(FinalPath)!);
        await File.WriteAllBytesAsync(FileTransfer.PartialPathFor(FinalPath, Record()), RandomNumberGenerator.GetBytes(40));

        var outcome = await transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default);

        Assert.Equal((true, 100L), (outcome.Transferred, outcome.Bytes));
        Assert.Equal(_content, await File.ReadAllBytesAsync(FinalPath));
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_damaged_download_never_appears_under_the_final_name()
    {
        var damaged = _content.ToArray();
        damaged[50] ^= 0xFF;
        var fake = new FakeS3(sent => Body(damaged, 0, HttpStatusCode.OK));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default));

        Assert.Equal(FailureKind.Transient, RetryPolicies.ClassifyS3(failure, default));
        Assert.False(File.Exists(FinalPath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(FinalPath)!));
    }

    [Fact]
    public async Task A_resumed_download_that_comes_out_damaged_is_discarded()
    {
        var damaged = _content.ToArray();
        damaged[70] ^= 0xFF;
        var fake = new FakeS3(sent => Body(damaged, 40, HttpStatusCode.PartialContent));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(FinalPath)!);
        await File.WriteAllBytesAsync(FileTransfer.PartialPathFor(FinalPath, Record()), _content[..40]);

        var failure = await Assert.ThrowsAsync<IOException>(() => transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default));

        Assert.Contains("does not match the object's MD5", failure.Message);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(FinalPath)!));
    }

    [Fact]
    public async Task An_existing_different_file_is_left_alone_without_force()
    {
        var fake = new FakeS3(sent => Body(_content, 0, HttpStatusCode.OK));
        var transfer = new FileTransfer(fake.Client(), TransferOptions.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(FinalPath)!);
        var mine = RandomNumberGenerator.GetBytes(100);
        await File.WriteAllBytesAsync(FinalPath, mine);

        var refusal = await Assert.ThrowsAsync<S3Replication.Core.S3BackupException>(() => transfer.DownloadAsync(Record(), FinalPath, force: false, Once, default));

        Assert.Equal(S3Replication.Core.ErrorId.FileExists, refusal.ErrorId);
        Assert.Equal(mine, await File.ReadAllBytesAsync(FinalPath));
        Assert.Empty(fake.Requests);
    }
}
