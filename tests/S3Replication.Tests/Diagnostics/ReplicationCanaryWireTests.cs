using System;
using System.Collections;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Diagnostics;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>
/// Test-S3BackupReplication -Canary against buckets in memory, where the test plays S3 Replication: the replica arrives
/// (or does not, or with other bytes, or archived), and whatever happens the canary leaves nothing in either bucket, or
/// says what it left.
/// </summary>
public sealed class ReplicationCanaryWireTests : IDisposable
{
    private const string Source = "sds-data-dev";
    private const string Backup = "sds-data-dev-backup";
    private static readonly Func<TimeSpan, CancellationToken, Task> NoWait = (_, token) => { token.ThrowIfCancellationRequested(); return Task.CompletedTask; };

    private readonly FakeVersionedS3 _s3 = new();
    private readonly ProfileFolder _folder = new("[profile ops]\nrequest_checksum_calculation = when_required\nresponse_checksum_validation = when_required\n",
        "[ops]\naws_access_key_id = AKIAOPERATOR\naws_secret_access_key = operatorSecret\n");
    private int _backupHeads;

    public void Dispose() => _folder.Dispose();

    private ReplicationCanary Canary(Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        var session = SessionFactory.Create(new SessionRequest("ops", "eu-west-2", "http://s3.example.test"), _folder.Environment, new RecordingHttpClientFactory(_s3.Http));
        return new ReplicationCanary(session, session, delay ?? NoWait);
    }

    private static ReviewedRule Rule(string? prefix = null) => ReplicationRuleReview.Review(Source, Backup, new[]
    {
        new ReplicationRuleRecord { Bucket = Source, RuleId = "ReplicateToBackup", Status = "Enabled", Priority = 1, Prefix = prefix, DestinationBucket = Backup, Tags = new Hashtable() },
    }, "arn:aws:iam::111122223333:role/Replication", null).Rule!;

    /// <summary>On the given HEAD of the backup, S3 Replication "delivers": the source's current bytes, or <paramref name="bytes"/> instead.</summary>
    private void ReplicateOnBackupHead(int head, byte[]? bytes = null) => _s3.Before = request =>
    {
        var path = Uri.UnescapeDataString(request.Uri.AbsolutePath).TrimStart('/');
        if (request.Method == HttpMethod.Head && path.StartsWith(Backup + "/", StringComparison.Ordinal) && ++_backupHeads == head)
        {
            var key = path.Substring(Backup.Length + 1);
            _s3.Put(Backup, key, bytes ?? _s3.Versions(Source, key).First().Bytes!);
        }
    };

    private void AssertNothingLeft()
    {
        Assert.Equal("", _s3.State(Source));
        Assert.Equal("", _s3.State(Backup));
    }

    [Fact]
    public async Task A_replica_with_the_same_bytes_passes_and_both_sides_are_removed()
    {
        ReplicateOnBackupHead(3);
        var canary = Canary();

        var finding = Assert.Single(await canary.RunAsync(Source, Rule("reports/"), TimeSpan.FromMinutes(1), _ => { }, default));

        Assert.Equal(FindingOutcome.Passed, finding.Outcome);
        Assert.Matches(@"^Replicated to s3://sds-data-dev-backup in [\d.]+ s, with the same content\.$", finding.Detail);
        Assert.Matches(@"^s3://sds-data-dev/reports/s3replication-canary/\d{8}T\d{6}Z-[0-9a-f]{8}$", finding.Target);
        AssertNothingLeft();
        Assert.StartsWith("The canary s3://sds-data-dev/reports/s3replication-canary/", canary.StopNote);
        Assert.EndsWith("was removed from both buckets", canary.StopNote);
    }

    [Fact]
    public async Task A_replica_with_other_bytes_fails()
    {
        ReplicateOnBackupHead(1, new byte[64]);
        var finding = Assert.Single(await Canary().RunAsync(Source, Rule(), TimeSpan.FromMinutes(1), _ => { }, default));
        Assert.Equal(FindingOutcome.Failed, finding.Outcome);
        Assert.StartsWith("The replica in s3://sds-data-dev-backup has other bytes than the canary", finding.Detail);
        AssertNothingLeft();
    }

    [Fact]
    public async Task An_archived_replica_passes_unread()
    {
        _s3.StorageClassOf = bucket => bucket == Backup ? "DEEP_ARCHIVE" : null;
        ReplicateOnBackupHead(2);
        var finding = Assert.Single(await Canary().RunAsync(Source, Rule(), TimeSpan.FromMinutes(1), _ => { }, default));
        Assert.Equal(FindingOutcome.Passed, finding.Outcome);
        Assert.Contains("stored as DEEP_ARCHIVE: its bytes were not read (archived), its ETag is the canary's", finding.Detail);
        Assert.DoesNotContain(_s3.Http.Requests, request => request.Method == HttpMethod.Get && request.Uri.AbsolutePath.StartsWith($"/{Backup}/s3replication-canary/", StringComparison.Ordinal));
        AssertNothingLeft();
    }

    [Fact]
    public async Task No_replica_within_the_timeout_fails_waits_with_progress_and_removes_the_source_version()
    {
        var waited = 0;
        var finding = Assert.Single(await Canary().RunAsync(Source, Rule(), TimeSpan.FromMilliseconds(300), _ => waited++, default));
        Assert.Equal(FindingOutcome.Failed, finding.Outcome);
        Assert.StartsWith("No replica in s3://sds-data-dev-backup after 0.3 s. A replica that arrives later stays there as s3://sds-data-dev-backup/s3replication-canary/", finding.Detail);
        Assert.True(waited > 0);
        AssertNothingLeft();
    }

    [Fact]
    public async Task A_stop_while_waiting_still_removes_the_canary_and_says_so()
    {
        using var stop = new CancellationTokenSource();
        var canary = Canary((_, token) =>
        {
            stop.Cancel();
            token.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canary.RunAsync(Source, Rule(), TimeSpan.FromMinutes(1), _ => { }, stop.Token));

        AssertNothingLeft();
        Assert.EndsWith("was removed from both buckets", canary.StopNote);
    }

    [Fact]
    public async Task A_backup_the_session_may_not_read_is_an_error_naming_backup_session()
    {
        _s3.Deny = request => request.Method == HttpMethod.Head && request.Uri.AbsolutePath.StartsWith("/" + Backup + "/", StringComparison.Ordinal);
        var finding = Assert.Single(await Canary().RunAsync(Source, Rule(), TimeSpan.FromMinutes(1), _ => { }, default));
        Assert.Equal(FindingOutcome.Error, finding.Outcome);
        Assert.StartsWith("Give -BackupSession", finding.Hint);
        Assert.Equal("", _s3.State(Source));
    }

    [Fact]
    public async Task A_canary_that_cannot_be_removed_is_named_in_a_warning_and_in_the_stop_note()
    {
        ReplicateOnBackupHead(1);
        _s3.Deny = request => request.Method == HttpMethod.Delete;
        var canary = Canary();

        var findings = await canary.RunAsync(Source, Rule(), TimeSpan.FromMinutes(1), _ => { }, default);

        Assert.Equal(new[] { FindingOutcome.Passed, FindingOutcome.Warning }, findings.Select(finding => finding.Outcome));
        Assert.Contains("s3://sds-data-dev/s3replication-canary/", findings[1].Detail);
        Assert.Contains("s3://sds-data-dev-backup/s3replication-canary/", findings[1].Detail);
        Assert.Contains("(AccessDenied)", findings[1].Detail);
        Assert.Contains("could not all be removed", canary.StopNote);
    }
}
