using System.Collections.Generic;
using System.Linq;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// -CompareBy ComputedChecksum, key by key: which keys the plan hands to the compute-checksum jobs, and what the two
/// jobs' tasks say of each — equal, differing, or unverified (a failed task or a key a report lacks, on either side).
/// </summary>
public class ChecksumMatchTests
{
    private static readonly ComputedChecksum Crc = new("CRC64NVME", Hex.Parse("ae8b14860a799888"));

    private static ChecksumTask Computed(string hex) => new(new ComputedChecksum("CRC64NVME", Hex.Parse(hex)), null);

    private static ChecksumTask Failed(string code, string status = "403") =>
        ChecksumTask.From(new BatchTaskResult("b", "k", null, "failed", status, code, "Access Denied"), "CRC64NVME");

    /// <summary>Each case's two sides: what the source's job and the backup's said of the key.</summary>
    private static readonly Dictionary<string, (ChecksumTask Source, ChecksumTask Backup)> Sides = new()
    {
        ["the same checksum"] = (new(Crc, null), Computed("ae8b14860a799888")),
        ["another checksum"] = (new(Crc, null), Computed("ae8b14860a799889")),
        ["the backup's task denied"] = (new(Crc, null), Failed("AccessDenied")),
        ["the source's task failed"] = (Failed("SlowDown", "503"), new(Crc, null)),
        ["both failed"] = (Failed("AccessDenied"), Failed("InternalError", "500")),
        ["the backup's report lacks the key"] = (new(Crc, null), ChecksumTask.None("not in the completion report of job j2, which ended Cancelled")),
        ["an unreadable message on one side"] = (new(null, "the ResultMessage names no checksum: '{}'"), new(Crc, null)),
    };

    [Theory]
    [InlineData("the same checksum", "Equal", "SameChecksum", null)]
    [InlineData("another checksum", "Different", "ChecksumDiffers", null)]
    [InlineData("the backup's task denied", "Unverified", "TaskFailed", "backup: task failed: 403 AccessDenied (Access Denied)")]
    [InlineData("the source's task failed", "Unverified", "TaskFailed", "source: task failed: 503 SlowDown (Access Denied)")]
    [InlineData("both failed", "Unverified", "TaskFailed",
        "source: task failed: 403 AccessDenied (Access Denied); backup: task failed: 500 InternalError (Access Denied)")]
    [InlineData("the backup's report lacks the key", "Unverified", "TaskFailed", "backup: not in the completion report of job j2, which ended Cancelled")]
    [InlineData("an unreadable message on one side", "Unverified", "TaskFailed", "source: the ResultMessage names no checksum: '{}'")]
    public void Decides_each_key_by_both_sides_and_never_calls_one_side_alone_equal(string sides, string state, string reason, string? error)
    {
        var verdict = ChecksumMatch.Decide(Sides[sides].Source, Sides[sides].Backup);
        Assert.Equal((state, reason, error), (verdict.State.ToString(), verdict.Reason.ToString(), verdict.Error));
    }

    [Fact]
    public void The_plan_hands_only_same_size_pairs_to_the_jobs_pinned_to_the_backup_version()
    {
        var policy = new DecisionPolicy(CompareMode.ComputedChecksum) { CheckArchive = false, PinVersions = true };
        S3ObjectRecord Backup(long size, string? version = "v1", string? etag = "\"aaaa\"", string? storageClass = null) =>
            new() { Bucket = "backup", Key = "k", Size = size, VersionId = version, ETag = etag, StorageClass = storageClass };
        var source = new S3ObjectRecord { Bucket = "source", Key = "k", Size = 10, ETag = "\"aaaa\"" };
        RestoreDecision Decide(Candidate candidate) => RestoreDecider.Decide(candidate, policy);

        // Equal ETags prove nothing here: the content is what S3 computes from the bytes.
        Assert.Equal(new RestoreDecision(Verdict.Verify, SyncReason.SameSize), Decide(new Candidate("k", Backup(10), source)));
        // An archived backup object needs no restore: the job reads it where it lies.
        Assert.Equal(Verdict.Verify, Decide(new Candidate("k", Backup(10, storageClass: "DEEP_ARCHIVE"), source)).Verdict);
        Assert.Equal(new RestoreDecision(Verdict.Copy, SyncReason.SizeDiffers), Decide(new Candidate("k", Backup(11), source)));
        Assert.Equal(PlanState.MissingInSource, Decide(new Candidate("k", Backup(10), null)).StateOf(new Candidate("k", Backup(10), null)));
        Assert.Equal(PlanState.MissingInBackup, Decide(new Candidate("k", null, source)).StateOf(new Candidate("k", null, source)));
        // A listed version without an id, and a piped row: the facts first (the version, what the source holds).
        Assert.Equal(Need.BackupHead, Decide(new Candidate("k", Backup(10, version: null), source)).Need);
        Assert.Equal(Need.BackupHead, Decide(new Candidate("k", Backup(0, etag: null), source)).Need);
        Assert.Equal(Need.SourceHead, Decide(new Candidate("k", Backup(10), null) { SourceKnown = false }).Need);
        var pinned = new Candidate("k", Backup(10, version: null), source) { BackupHead = new BackupHead("v9", 10, "\"aaaa\"", null, ArchiveState.NotRestored) };
        Assert.Equal(Verdict.Verify, Decide(pinned).Verdict);
        Assert.Equal("v9", pinned.PinnedBackup!.VersionId);
    }

    [Fact]
    public void A_denied_backup_task_names_the_permissions_and_the_bucket_policy_that_must_grant_them()
    {
        var failures = new TaskFailures(VerifiedSide.Backup, "sds-data-dev-backup");
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            failures.Add(key, Failed("AccessDenied"));
        }
        failures.Add("e", Failed("SlowDown", "503"));
        failures.Add("f", ChecksumTask.None("not in the report"));
        failures.Add("g", new ChecksumTask(Crc, null));

        var warning = failures.Warning("arn:aws:iam::111122223333:role/BatchVerify");
        Assert.Equal(5, failures.Count);
        Assert.StartsWith("5 checksum task(s) on s3://sds-data-dev-backup failed (4 AccessDenied, 1 SlowDown; a, b, c, ...): those keys are Unverified.", warning);
        Assert.Contains("role arn:aws:iam::111122223333:role/BatchVerify reads the backup bucket from the source's account", warning);
        Assert.Contains("s3:GetObject and s3:GetObjectVersion on arn:aws:s3:::sds-data-dev-backup/*", warning);
        Assert.Contains("the backup bucket's policy must grant them to that role", warning);
    }

    [Fact]
    public void A_denied_source_task_names_the_permissions_on_the_source_and_other_failures_only_their_codes()
    {
        var source = new TaskFailures(VerifiedSide.Source, "sds-data-dev");
        source.Add("a", Failed("403", "403"));
        Assert.Equal("1 checksum task(s) on s3://sds-data-dev failed (1 403; a): those keys are Unverified. The job's role r needs s3:GetObject and " +
            "s3:GetObjectVersion on arn:aws:s3:::sds-data-dev/* (and kms:Decrypt for objects under SSE-KMS).", source.Warning("r"));
        Assert.DoesNotContain("policy", source.Warning("r"));

        var throttled = new TaskFailures(VerifiedSide.Backup, "sds-data-dev-backup");
        throttled.Add("a", Failed("SlowDown", "503"));
        Assert.Equal("1 checksum task(s) on s3://sds-data-dev-backup failed (1 SlowDown; a): those keys are Unverified.", throttled.Warning("r"));

        var none = new TaskFailures(VerifiedSide.Source, "sds-data-dev");
        none.Add("a", new ChecksumTask(Crc, null));
        Assert.Null(none.Warning("r"));
    }

    [Fact]
    public void Results_follow_the_report_whatever_order_and_spelling_its_rows_have()
    {
        // Both reports list their tasks in their own order; the compare joins them by key.
        const string sourceCsv = "src,b.csv,,succeeded,200,,\"{\"\"checksum_hex\"\":\"\"ae8b14860a799888\"\"}\"\r\n" +
                                 "src,a.csv,,succeeded,200,,\"{\"\"checksum_base64\"\":\"\"rosUhgp5mIg=\"\"}\"\r\n";
        const string backupCsv = "bkp,a.csv,v1,succeeded,200,,rosUhgp5mIg=\r\n" +
                                 "bkp,b.csv,v2,succeeded,200,,\"{\"\"checksum_base64\"\":\"\"AAAAAAAAAAA=\"\"}\"\r\n";
        Dictionary<string, ChecksumTask> Tasks(string csv) => BatchReport.Rows(csv).ToDictionary(row => row.Key, row => ChecksumTask.From(row, "CRC64NVME"));
        var (source, backup) = (Tasks(sourceCsv), Tasks(backupCsv));

        Assert.Equal(SyncReason.SameChecksum, ChecksumMatch.Decide(source["a.csv"], backup["a.csv"]).Reason);
        Assert.Equal(SyncReason.ChecksumDiffers, ChecksumMatch.Decide(source["b.csv"], backup["b.csv"]).Reason);
    }
}
