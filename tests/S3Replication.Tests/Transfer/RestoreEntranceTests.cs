using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using S3Replication.Records;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>One runspace with the module for a test class: importing the module is the slow part.</summary>
public sealed class HostedShellFixture : IDisposable
{
    internal HostedPowerShell Shell { get; } = new();

    public void Dispose() => Shell.Dispose();
}

/// <summary>
/// Issue 21, "Show it": one restore run behind every entrance. The real cmdlets, in a hosted runspace whose default
/// session points at <see cref="LoopbackS3"/>, entered every way an operator enters a restore — bucket names (by name
/// and by position), piped Get-S3BackupObject records, piped Compare-S3BackupBucket results, Batch report task records,
/// restore rows read back from CSV and from Clixml — give the same decisions as a reference written out here, and the
/// same refusals, changing nothing.
/// </summary>
public sealed class RestoreEntranceTests : IClassFixture<HostedShellFixture>, IDisposable
{
    private readonly HostedPowerShell _shell;
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"s3r-entrance-{Guid.NewGuid():N}.txt");

    public RestoreEntranceTests(HostedShellFixture fixture) => _shell = fixture.Shell;

    public void Dispose() => File.Delete(_file);

    private LoopbackS3 Start(Action<LoopbackS3> plant)
    {
        var s3 = LoopbackS3.Start();
        plant(s3);
        _shell.UseSession(s3.Session());
        return s3;
    }

    private static string IdOf(ErrorRecord error) => error.FullyQualifiedErrorId.Split(',')[0];

    internal static void NoErrors(HostedRun run) => Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(Describe)));

    /// <summary>An error as a failing assertion shows it: its id and the whole exception, stack included.</summary>
    internal static string Describe(ErrorRecord error) => $"{error.FullyQualifiedErrorId}: {error.Exception}";

    private static IReadOnlyList<SyncResult> RowsOf(HostedRun run) => run.Output.Select(item => item.BaseObject).OfType<SyncResult>().ToList();

    private static void NothingWritten(LoopbackS3 s3)
    {
        Assert.Empty(s3.Log.Where(request => request.IsWrite).Select(request => request.ToString()));
        Assert.Empty(s3.Copies);
        Assert.Empty(s3.Jobs);
    }

    private static void StandInServedEverything(LoopbackS3 s3) =>
        Assert.Empty(s3.Log.Where(request => request.End is RequestEnd.Faulted || request.Operation == "Unsupported").Select(request => request + " " + request.Fault));

    // ---- a. the same decisions on every entrance ----

    /// <summary>
    /// Under d/ (and one key outside it): missing in the source; same size, different content; equal; same content whose
    /// SSE-KMS ETags differ but whose CRC32 checksums agree; SSE-KMS with different ETags and no checksum; size differs;
    /// a delete marker current in the backup while the source has the key; a delete marker current in the backup and no
    /// source object; a key only the source has. Listings come 3 keys a page.
    /// </summary>
    private static void PlantDecisions(LoopbackS3 s3)
    {
        s3.PageSize = 3;
        var backup = s3.AddBucket("ent-backup");
        var source = s3.AddBucket("ent-source");
        source.ReplicatesTo.Add("ent-backup");
        backup.Put("d/changed", "content, new");
        source.Put("d/changed", "content, old");
        backup.Put("d/deleted", "was backed up");
        backup.Delete("d/deleted");
        source.Put("d/deleted", "still in the source");
        backup.Put("d/equal", "same bytes");
        source.Put("d/equal", "same bytes");
        backup.Put("d/gone", "deleted everywhere");
        backup.Delete("d/gone");
        backup.Put("d/kms-same", "kms content", encryption: "aws:kms", etag: "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f01", crc32: "q83vEg==");
        source.Put("d/kms-same", "kms content", encryption: "aws:kms", etag: "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f02", crc32: "q83vEg==");
        backup.Put("d/kms-unverifiable", "kms bytes 1", encryption: "aws:kms", etag: "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e01");
        source.Put("d/kms-unverifiable", "kms bytes 2", encryption: "aws:kms", etag: "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e02");
        backup.Put("d/missing", "only in the backup");
        source.Put("d/only-source", "only in the source");
        backup.Put("d/resized", "the longer backup copy");
        source.Put("d/resized", "short");
        backup.Put("e/outside", "outside the prefix");
        // Under g/, archived objects the source lacks: a restore must tell them apart, whichever way it is entered.
        backup.Put("g/deep", "deep archive", storageClass: "DEEP_ARCHIVE");
        backup.Put("g/glacier", "glacier", storageClass: "GLACIER");
        backup.Put("g/thawed", "restored copy", storageClass: "GLACIER", restore: "ongoing-request=\"false\", expiry-date=\"Fri, 01 Jan 2100 00:00:00 GMT\"");
        backup.Put("g/thawing", "restore under way", storageClass: "GLACIER", restore: "ongoing-request=\"true\"");
    }

    /// <summary>The reference, by hand: what a restore of d/ decides for each key (keys absent here get no row: left alone).</summary>
    private static readonly IReadOnlyDictionary<string, string[]> Reference = new Dictionary<string, string[]>
    {
        // Auto: same size with different ETags is settled by one HEAD per side (checksum mode): MD5 ETags differ (ETagDiffers),
        // equal CRC32s prove the KMS pair equal (SameChecksum), nothing proves the other KMS pair (Unverifiable: copied).
        ["Auto"] = new[]
        {
            "d/changed WouldCopy ETagDiffers",
            "d/equal Skipped SameETag",
            "d/kms-same Skipped SameChecksum",
            "d/kms-unverifiable WouldCopy Unverifiable",
            "d/missing WouldCopy MissingInSource",
            "d/resized WouldCopy SizeDiffers",
        },
        // ETag: size and ETag alone.
        ["ETag"] = new[]
        {
            "d/changed WouldCopy ETagDiffers",
            "d/equal Skipped SameETag",
            "d/kms-same WouldCopy ETagDiffers",
            "d/kms-unverifiable WouldCopy ETagDiffers",
            "d/missing WouldCopy MissingInSource",
            "d/resized WouldCopy SizeDiffers",
        },
    };

    /// <summary>The keys whose objects Auto HEADs with checksum mode (in both buckets): exactly the same-size pairs whose ETags differ.</summary>
    private static readonly string[] ContentHeads = { "d/changed", "d/kms-same", "d/kms-unverifiable" };

    public static TheoryData<string, string> DecisionEntrances()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "Auto", "ETag" })
        {
            foreach (var entrance in new[] { "names", "positional names", "objects", "objects with agreeing names", "compare results", "batch report tasks", "csv", "clixml" })
            {
                data.Add(entrance, mode);
            }
        }
        return data;
    }

    /// <summary>The Batch report rows of a restore of d/ (Get-S3BackupBatchJobReport's record type): bucket, key and version, nothing else.</summary>
    private static List<S3BatchTaskRecord> TasksOf(LoopbackBucket bucket, string prefix) =>
        bucket.CurrentKeys().Where(key => key.StartsWith(prefix, StringComparison.Ordinal)).Select(key => new S3BatchTaskRecord
        {
            JobId = "job-00001",
            Bucket = bucket.Name,
            Key = key,
            VersionId = bucket.Versions(key)[0].VersionId,
            TaskStatus = "failed",
            HttpStatusCode = "500",
            ErrorCode = "InternalError",
            ResultMessage = "We encountered an internal error. Please try again.",
        }).ToList();

    /// <summary>
    /// For the entrances that read a file ("csv", "clixml"): the -WhatIf plan exported to $file first, as an operator
    /// exports a plan to review it; the stand-in's log starts after it.
    /// </summary>
    private void ExportPlan(LoopbackS3 s3, string entrance, string plan, IDictionary<string, object?> variables)
    {
        var export = entrance switch
        {
            "csv" => $"{plan} | Export-Csv -Path $file -NoTypeInformation",
            "clixml" => $"{plan} | Export-Clixml -Path $file",
            _ => null,
        };
        if (export is not null)
        {
            NoErrors(_shell.RunAll(export, variables));
            s3.ClearLog();
        }
    }

    /// <summary>Runs a -WhatIf restore of a prefix through one entrance; files are written first where the entrance reads one.</summary>
    private HostedRun EnterDecisions(LoopbackS3 s3, string entrance, string mode, string prefix = "d/")
    {
        var variables = new Dictionary<string, object?>
        {
            ["mode"] = mode, ["prefix"] = prefix, ["file"] = _file, ["tasks"] = TasksOf(s3.Bucket("ent-backup"), prefix),
        };
        const string plan = "Sync-S3BackupToSource ent-backup ent-source -Prefix $prefix -CompareBy $mode -WhatIf -IncludeSkipped";
        ExportPlan(s3, entrance, plan, variables);
        const string restore = "Sync-S3BackupToSource -CompareBy $mode -WhatIf -IncludeSkipped";
        var script = entrance switch
        {
            "names" => "Sync-S3BackupToSource -BackupBucket ent-backup -SourceBucket ent-source -Prefix $prefix -CompareBy $mode -WhatIf -IncludeSkipped",
            "positional names" => plan,
            "objects" => $"Get-S3BackupObject -Bucket ent-backup -Prefix $prefix | {restore} -SourceBucket ent-source",
            "objects with agreeing names" => "Get-S3BackupObject -Bucket ent-backup -Prefix $prefix | Sync-S3BackupToSource ent-backup ent-source -CompareBy $mode -WhatIf -IncludeSkipped",
            "compare results" => $"Compare-S3BackupBucket -SourceBucket ent-source -BackupBucket ent-backup -Prefix $prefix -IncludeEqual -CompareBy $mode | {restore}",
            "batch report tasks" => $"$tasks | {restore} -SourceBucket ent-source",
            "csv" => $"Import-Csv -Path $file | {restore}",
            "clixml" => $"Import-Clixml -Path $file | {restore}",
            _ => throw new ArgumentOutOfRangeException(nameof(entrance), entrance, null),
        };
        return _shell.RunAll(script, variables);
    }

    [Theory]
    [MemberData(nameof(DecisionEntrances))]
    public void Every_entrance_decides_each_key_as_the_reference_does(string entrance, string mode)
    {
        using var s3 = Start(PlantDecisions);

        var run = EnterDecisions(s3, entrance, mode);

        NoErrors(run);
        var rows = RowsOf(run);
        Assert.Equal(Reference[mode], rows.Select(row => $"{row.Key} {row.Action} {row.Reason}").OrderBy(line => line, StringComparer.Ordinal));
        Assert.All(rows, row => Assert.Equal(("ent-backup", "ent-source"), (row.BackupBucket, row.SourceBucket)));
        NothingWritten(s3);
        StandInServedEverything(s3);
        // Auto reads the checksums (HEAD with x-amz-checksum-mode) of both sides of exactly the same-size pairs whose ETags differ; ETag never.
        var contentHeads = s3.Log.Where(request => request.Operation == "HeadObject" && request.Header("x-amz-checksum-mode") == "ENABLED")
            .Select(request => $"{request.Bucket} {request.Key}").Distinct().OrderBy(line => line, StringComparer.Ordinal);
        var expected = mode == "Auto" ? ContentHeads.SelectMany(key => new[] { $"ent-backup {key}", $"ent-source {key}" }) : Enumerable.Empty<string>();
        Assert.Equal(expected.OrderBy(line => line, StringComparer.Ordinal), contentHeads);
    }

    /// <summary>
    /// Issue 21: "every restore row names the backup bucket and the version it read … a reviewed plan … restores exactly the
    /// reviewed rows, pinned to their versions". A -WhatIf row that would copy must say which backup version it would copy,
    /// whichever way the plan was entered, or an exported plan cannot be carried out as it was reviewed.
    /// </summary>
    [Theory]
    [InlineData("names")]
    [InlineData("objects")]
    [InlineData("compare results")]
    [InlineData("batch report tasks")]
    [InlineData("csv")]
    public void Every_entrance_names_the_backup_version_a_would_copy_row_would_read(string entrance)
    {
        using var s3 = Start(PlantDecisions);

        var run = EnterDecisions(s3, entrance, "Auto");

        NoErrors(run);
        var backup = s3.Bucket("ent-backup");
        var wouldCopy = RowsOf(run).Where(row => row.Action == "WouldCopy").ToList();
        Assert.Equal(4, wouldCopy.Count);
        Assert.Equal(wouldCopy.Select(row => $"{row.Key} {backup.Versions(row.Key)[0].VersionId}"), wouldCopy.Select(row => $"{row.Key} {row.BackupVersionId}"));
    }

    /// <summary>
    /// Archived objects the source lacks: Glacier and Deep Archive without a restored copy need a restore first, one whose
    /// restore is under way says so, a restored copy can be copied. A row that names only the object (a Batch report task,
    /// a row read back from a file) must be told apart as a listed object is.
    /// </summary>
    [Theory]
    [InlineData("names")]
    [InlineData("objects")]
    [InlineData("compare results")]
    [InlineData("batch report tasks")]
    [InlineData("csv")]
    [InlineData("clixml")]
    public void Every_entrance_tells_archived_objects_apart(string entrance)
    {
        using var s3 = Start(PlantDecisions);

        var run = EnterDecisions(s3, entrance, "Auto", prefix: "g/");

        NoErrors(run);
        Assert.Equal(new[]
        {
            "g/deep NeedsRestore Archived",
            "g/glacier NeedsRestore Archived",
            "g/thawed WouldCopy MissingInSource",
            "g/thawing NeedsRestore RestoreInProgress",
        }, RowsOf(run).Select(row => $"{row.Key} {row.Action} {row.Reason}").OrderBy(line => line, StringComparer.Ordinal));
        NothingWritten(s3);
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("ETag")]
    public void Compare_states_each_key_as_the_reference_does(string mode)
    {
        using var s3 = Start(PlantDecisions);

        var run = _shell.RunAll("Compare-S3BackupBucket -SourceBucket ent-source -BackupBucket ent-backup -Prefix d/ -IncludeEqual -CompareBy $mode",
            new Dictionary<string, object?> { ["mode"] = mode });

        NoErrors(run);
        var kms = mode == "Auto" ? new[] { "d/kms-same Equal SameChecksum", "d/kms-unverifiable Different Unverifiable" }
            : new[] { "d/kms-same Different ETagDiffers", "d/kms-unverifiable Different ETagDiffers" };
        var expected = new[]
        {
            "d/changed Different ETagDiffers",
            "d/deleted MissingInBackup MissingInBackup",
            "d/equal Equal SameETag",
            kms[0],
            kms[1],
            "d/missing MissingInSource MissingInSource",
            "d/only-source MissingInBackup MissingInBackup",
            "d/resized Different SizeDiffers",
        };
        Assert.Equal(expected, run.Output.Select(item => item.BaseObject).OfType<CompareResult>().Select(row => $"{row.Key} {row.State} {row.Reason}"));
        NothingWritten(s3);
    }

    // ---- b. every guard on every entrance, changing nothing ----

    /// <summary>
    /// gd-source replicates to gd-backup (the right way round); rv-live replicates to rv-copy, so naming rv-live the backup
    /// and rv-copy the source would write into a backup; mu-plain has no versioning, so -Mirror's removals there could not
    /// be undone. Each pair differs, so a restore that went ahead would write.
    /// </summary>
    private static void PlantGuards(LoopbackS3 s3)
    {
        var backup = s3.AddBucket("gd-backup");
        backup.Put("k/1", "one");
        backup.Put("k/2", "two");
        var source = s3.AddBucket("gd-source");
        source.ReplicatesTo.Add("gd-backup");
        source.Put("k/1", "one, changed since");
        source.Put("k/extra", "only in the source");
        var live = s3.AddBucket("rv-live");
        live.ReplicatesTo.Add("rv-copy");
        live.Put("k/1", "live one, newer");
        live.Put("k/new", "not yet replicated");
        s3.AddBucket("rv-copy").Put("k/1", "live one");
        var plain = s3.AddBucket("mu-plain", versioned: false);
        plain.Put("k/1", "one, but different");
        plain.Put("k/extra", "only here");
        s3.AddBucket("gd-work");
        s3.AddRole("BatchRestore", BatchTrust);
    }

    internal const string BatchTrust =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    private const string Batch = "$batch = @{ WorkBucket = 'gd-work'; RoleArn = 'arn:aws:iam::111122223333:role/BatchRestore'; AccountId = '111122223333' }; ";

    /// <summary>(case, ErrorId, script); $file is a scratch file, $rows_* restore rows (SyncResult) and $tasks_* Batch report tasks.</summary>
    public static TheoryData<string, string, string> GuardCases() => new()
    {
        { "same bucket: names", "SameBucket", "Sync-S3BackupToSource -BackupBucket gd-backup -SourceBucket gd-backup" },
        { "same bucket: positional names", "SameBucket", "Sync-S3BackupToSource gd-backup gd-backup" },
        { "same bucket: objects", "SameBucket", "Get-S3BackupObject -Bucket gd-backup | Sync-S3BackupToSource -SourceBucket gd-backup" },
        { "same bucket: objects, positional names", "SameBucket", "Get-S3BackupObject -Bucket gd-backup | Sync-S3BackupToSource gd-backup gd-backup" },
        { "same bucket: compare results", "SameBucket",
            "Compare-S3BackupBucket -SourceBucket gd-source -BackupBucket gd-backup | Sync-S3BackupToSource -SourceBucket gd-backup" },
        { "same bucket: the compare itself", "SameBucket", "Compare-S3BackupBucket -SourceBucket gd-backup -BackupBucket gd-backup" },
        { "same bucket: batch report tasks", "SameBucket", "$tasks_gd | Sync-S3BackupToSource -SourceBucket gd-backup" },
        { "same bucket: csv", "SameBucket",
            "$rows_gd | Export-Csv -Path $file -NoTypeInformation; Import-Csv -Path $file | Sync-S3BackupToSource -SourceBucket gd-backup" },
        { "same bucket: clixml", "SameBucket", "$rows_gd | Export-Clixml -Path $file; Import-Clixml -Path $file | Sync-S3BackupToSource -SourceBucket gd-backup" },
        { "same bucket: batch restore, names", "SameBucket", Batch + "Start-S3BackupBatchRestore gd-backup gd-backup @batch" },
        { "same bucket: batch restore, objects", "SameBucket",
            Batch + "Get-S3BackupObject -Bucket gd-backup | Start-S3BackupBatchRestore -SourceBucket gd-backup @batch" },

        { "reversed: names", "BucketsReversed", "Sync-S3BackupToSource -BackupBucket rv-live -SourceBucket rv-copy" },
        { "reversed: objects", "BucketsReversed", "Get-S3BackupObject -Bucket rv-live | Sync-S3BackupToSource -SourceBucket rv-copy" },
        { "reversed: swapped compare", "BucketsReversed", "Compare-S3BackupBucket -SourceBucket rv-copy -BackupBucket rv-live | Sync-S3BackupToSource" },
        { "reversed: batch report tasks", "BucketsReversed", "$tasks_rv | Sync-S3BackupToSource -SourceBucket rv-copy" },
        { "reversed: csv", "BucketsReversed", "$rows_rv | Export-Csv -Path $file -NoTypeInformation; Import-Csv -Path $file | Sync-S3BackupToSource" },
        { "reversed: clixml", "BucketsReversed", "$rows_rv | Export-Clixml -Path $file; Import-Clixml -Path $file | Sync-S3BackupToSource" },
        { "reversed: batch restore, names", "BucketsReversed", Batch + "Start-S3BackupBatchRestore rv-live rv-copy @batch" },
        { "reversed: batch restore, swapped compare", "BucketsReversed",
            Batch + "Compare-S3BackupBucket -SourceBucket rv-copy -BackupBucket rv-live | Start-S3BackupBatchRestore @batch" },

        { "mirror unversioned: names", "MirrorUnversionedSource", "Sync-S3BackupToSource gd-backup mu-plain -Mirror" },
        { "mirror unversioned: objects", "MirrorUnversionedSource", "Get-S3BackupObject -Bucket gd-backup | Sync-S3BackupToSource -SourceBucket mu-plain -Mirror" },
        { "mirror unversioned: compare results", "MirrorUnversionedSource",
            "Compare-S3BackupBucket -SourceBucket mu-plain -BackupBucket gd-backup | Sync-S3BackupToSource -Mirror" },
        { "mirror unversioned: batch report tasks", "MirrorUnversionedSource", "$tasks_gd | Sync-S3BackupToSource -SourceBucket mu-plain -Mirror" },
        { "mirror unversioned: csv", "MirrorUnversionedSource",
            "$rows_mu | Export-Csv -Path $file -NoTypeInformation; Import-Csv -Path $file | Sync-S3BackupToSource -Mirror" },
        { "mirror unversioned: clixml", "MirrorUnversionedSource", "$rows_mu | Export-Clixml -Path $file; Import-Clixml -Path $file | Sync-S3BackupToSource -Mirror" },

        { "mismatch: objects, positional backup", "InputMismatch", "Get-S3BackupObject -Bucket gd-backup | Sync-S3BackupToSource gd-other gd-source" },
        { "mismatch: objects, named backup", "InputMismatch",
            "Get-S3BackupObject -Bucket gd-backup | Sync-S3BackupToSource -BackupBucket gd-other -SourceBucket gd-source" },
        { "mismatch: compare results, positional backup", "InputMismatch",
            "Compare-S3BackupBucket -SourceBucket gd-source -BackupBucket gd-backup | Sync-S3BackupToSource gd-other" },
        { "mismatch: compare results, named source", "InputMismatch",
            "Compare-S3BackupBucket -SourceBucket gd-source -BackupBucket gd-backup | Sync-S3BackupToSource -SourceBucket gd-elsewhere" },
        { "mismatch: batch report tasks", "InputMismatch", "$tasks_gd | Sync-S3BackupToSource gd-other gd-source" },
        { "mismatch: csv, positional backup", "InputMismatch",
            "$rows_gd | Export-Csv -Path $file -NoTypeInformation; Import-Csv -Path $file | Sync-S3BackupToSource gd-other" },
        { "mismatch: csv, named source", "InputMismatch",
            "$rows_gd | Export-Csv -Path $file -NoTypeInformation; Import-Csv -Path $file | Sync-S3BackupToSource -SourceBucket gd-elsewhere" },
        { "mismatch: clixml, named backup", "InputMismatch",
            "$rows_gd | Export-Clixml -Path $file; Import-Clixml -Path $file | Sync-S3BackupToSource -BackupBucket gd-other" },
        { "mismatch: batch restore, objects", "InputMismatch",
            Batch + "Get-S3BackupObject -Bucket gd-backup | Start-S3BackupBatchRestore gd-other gd-source @batch" },
    };

    /// <summary>Restore rows as a -WhatIf plan would have written them (what an operator exports, reviews and reads back).</summary>
    private static List<SyncResult> PlannedRows(LoopbackS3 s3, string backup, string source) =>
        s3.Bucket(backup).CurrentKeys().Select(key => new SyncResult
        {
            Key = key,
            Action = "WouldCopy",
            Reason = "MissingInSource",
            BackupBucket = backup,
            BackupVersionId = s3.Bucket(backup).Versions(key)[0].VersionId,
            SourceBucket = source,
            Size = s3.Bucket(backup).Versions(key)[0].Size,
            Bytes = s3.Bucket(backup).Versions(key)[0].Size,
            Time = DateTime.UtcNow,
        }).ToList();

    [Theory]
    [MemberData(nameof(GuardCases))]
    public void Every_guard_refuses_on_every_entrance_and_nothing_is_written(string name, string errorId, string script)
    {
        using var s3 = Start(PlantGuards);
        var variables = new Dictionary<string, object?>
        {
            ["file"] = _file,
            ["tasks_gd"] = TasksOf(s3.Bucket("gd-backup"), ""),
            ["tasks_rv"] = TasksOf(s3.Bucket("rv-live"), ""),
            ["rows_gd"] = PlannedRows(s3, "gd-backup", "gd-source"),
            ["rows_rv"] = PlannedRows(s3, "rv-live", "rv-copy"),
            ["rows_mu"] = PlannedRows(s3, "gd-backup", "mu-plain"),
        };

        var run = _shell.RunAll(script, variables);

        Assert.True(run.Errors.Count > 0, $"{name}: nothing was refused");
        Assert.All(run.Errors, error => Assert.True(IdOf(error) == errorId, $"{name}: expected {errorId}, got {error.FullyQualifiedErrorId}: {error}"));
        Assert.Empty(RowsOf(run));
        NothingWritten(s3);
        StandInServedEverything(s3);
    }

    // ---- piped records with bucket names that agree: only what was piped ----

    private static void PlantAgreeing(LoopbackS3 s3)
    {
        var backup = s3.AddBucket("ag-backup");
        foreach (var key in new[] { "p/1", "p/2", "q/1", "q/2" })
        {
            backup.Put(key, "backed up " + key);
        }
        var source = s3.AddBucket("ag-source");
        source.ReplicatesTo.Add("ag-backup");
        s3.AddBucket("ag-work");
        s3.AddRole("BatchRestore", BatchTrust);
    }

    [Theory]
    [InlineData("Get-S3BackupObject -Bucket ag-backup -Prefix p/ | Sync-S3BackupToSource ag-backup ag-source")]
    [InlineData("Get-S3BackupObject -Bucket ag-backup -Prefix p/ | Sync-S3BackupToSource -BackupBucket ag-backup -SourceBucket ag-source")]
    [InlineData("Compare-S3BackupBucket -SourceBucket ag-source -BackupBucket ag-backup -Prefix p/ | Sync-S3BackupToSource ag-backup ag-source")]
    [InlineData("Sync-S3BackupToSource ag-backup ag-source -WhatIf | Where-Object Key -like 'p/*' | Export-Csv -Path $file -NoTypeInformation; " +
                "Import-Csv -Path $file | Sync-S3BackupToSource ag-backup ag-source")]
    public void Piped_records_with_agreeing_bucket_names_restore_only_what_was_piped(string script)
    {
        using var s3 = Start(PlantAgreeing);
        var planned = new[] { "p/1", "p/2" }.ToDictionary(key => key, key => s3.Bucket("ag-backup").Versions(key)[0].VersionId);

        var run = _shell.RunAll(script, new Dictionary<string, object?> { ["file"] = _file });

        NoErrors(run);
        Assert.Equal(new[] { "p/1 Copied", "p/2 Copied" }, RowsOf(run).Select(row => $"{row.Key} {row.Action}").OrderBy(line => line, StringComparer.Ordinal));
        Assert.Equal(new[] { "p/1", "p/2" }, s3.Bucket("ag-source").CurrentKeys());
        Assert.Equal(planned.Select(pair => $"{pair.Key} {pair.Value}"), s3.Copies.Select(copy => $"{copy.SourceKey} {copy.SourceVersionId}").OrderBy(line => line, StringComparer.Ordinal));
        Assert.Empty(s3.Log.Where(request => request.IsWrite && !request.Key.StartsWith("p/", StringComparison.Ordinal)).Select(request => request.ToString()));
        StandInServedEverything(s3);
    }

    [Fact]
    public void Piped_records_with_agreeing_bucket_names_put_only_what_was_piped_into_a_batch_manifest()
    {
        using var s3 = Start(PlantAgreeing);

        var run = _shell.RunAll("Get-S3BackupObject -Bucket ag-backup -Prefix p/ | Start-S3BackupBatchRestore ag-backup ag-source -WorkBucket ag-work " +
                                "-RoleArn arn:aws:iam::111122223333:role/BatchRestore -AccountId 111122223333");

        NoErrors(run);
        var job = Assert.Single(s3.Jobs);
        var backup = s3.Bucket("ag-backup");
        Assert.Equal(new[] { $"ag-backup,p/1,{backup.Versions("p/1")[0].VersionId}", $"ag-backup,p/2,{backup.Versions("p/2")[0].VersionId}" },
            s3.ManifestRows(job).OrderBy(row => row, StringComparer.Ordinal));
        Assert.Empty(s3.Bucket("ag-source").CurrentKeys());
        StandInServedEverything(s3);
    }

    // ---- c. a Batch restore plan leaves archived and > 5 GiB objects out of the copy manifest ----

    private const string BatchTarget = "-WorkBucket bt-work -RoleArn arn:aws:iam::111122223333:role/BatchRestore -AccountId 111122223333";

    /// <summary>
    /// Under b/, all but b/equal differ from the source: a new object, a changed one, one above 5 GiB (listed by size only),
    /// GLACIER and DEEP_ARCHIVE objects without a restored copy, one whose restore is under way, and one restored (its
    /// temporary copy can be copied).
    /// </summary>
    private static void PlantBatch(LoopbackS3 s3)
    {
        s3.PageSize = 3;
        var backup = s3.AddBucket("bt-backup");
        var source = s3.AddBucket("bt-source");
        source.ReplicatesTo.Add("bt-backup");
        s3.AddBucket("bt-work");
        s3.AddRole("BatchRestore", BatchTrust);
        backup.Put("b/changed", "the backup's longer copy");
        source.Put("b/changed", "damaged");
        backup.Put("b/deep", "deep archive", storageClass: "DEEP_ARCHIVE");
        backup.Put("b/equal", "same");
        source.Put("b/equal", "same");
        backup.Put("b/glacier", "glacier", storageClass: "GLACIER");
        backup.PutSized("b/huge", 6L * 1024 * 1024 * 1024);
        backup.Put("b/new", "new since the damage");
        backup.Put("b/thawed", "restored copy", storageClass: "GLACIER", restore: "ongoing-request=\"false\", expiry-date=\"Fri, 01 Jan 2100 00:00:00 GMT\"");
        backup.Put("b/thawing", "restore under way", storageClass: "GLACIER", restore: "ongoing-request=\"true\"");
    }

    private static string ManifestRow(LoopbackS3 s3, string key) => $"bt-backup,{key},{s3.Bucket("bt-backup").Versions(key)[0].VersionId}";

    public static TheoryData<string> BatchEntrances() => new() { "names", "objects", "compare results", "batch report tasks", "csv", "clixml" };

    [Theory]
    [MemberData(nameof(BatchEntrances))]
    public void A_batch_restore_leaves_archived_and_oversized_objects_out_of_the_copy_manifest_on_every_entrance(string entrance)
    {
        using var s3 = Start(PlantBatch);
        var variables = new Dictionary<string, object?> { ["file"] = _file, ["tasks"] = TasksOf(s3.Bucket("bt-backup"), "b/") };
        ExportPlan(s3, entrance, "Sync-S3BackupToSource bt-backup bt-source -Prefix b/ -WhatIf -IncludeSkipped", variables);
        var script = entrance switch
        {
            "names" => $"Start-S3BackupBatchRestore -BackupBucket bt-backup -SourceBucket bt-source -Prefix b/ {BatchTarget}",
            "objects" => $"Get-S3BackupObject -Bucket bt-backup -Prefix b/ | Start-S3BackupBatchRestore -SourceBucket bt-source {BatchTarget}",
            "compare results" => $"Compare-S3BackupBucket -SourceBucket bt-source -BackupBucket bt-backup -Prefix b/ | Start-S3BackupBatchRestore {BatchTarget}",
            "batch report tasks" => $"$tasks | Start-S3BackupBatchRestore -SourceBucket bt-source {BatchTarget}",
            "csv" => $"Import-Csv -Path $file | Start-S3BackupBatchRestore {BatchTarget}",
            _ => $"Import-Clixml -Path $file | Start-S3BackupBatchRestore {BatchTarget}",
        };

        var run = _shell.RunAll(script, variables);

        NoErrors(run);
        var job = Assert.Single(s3.Jobs);
        Assert.Equal("S3PutObjectCopy", LoopbackS3.OperationOf(job));
        Assert.Equal(new[] { "b/changed", "b/new", "b/thawed" }.Select(key => ManifestRow(s3, key)), s3.ManifestRows(job).OrderBy(row => row, StringComparer.Ordinal));
        Assert.Contains(run.Warnings, warning => warning.StartsWith("1 object(s) above 5 GiB", StringComparison.Ordinal) && warning.Contains("(b/huge)", StringComparison.Ordinal));
        Assert.Contains(run.Warnings, warning => warning.StartsWith("3 object(s) are archived", StringComparison.Ordinal));
        Assert.Empty(s3.Copies);   // the job copies; nothing is copied here
        Assert.Empty(s3.Log.Where(request => request.IsWrite && request.Bucket is "bt-backup" or "bt-source").Select(request => request.ToString()));
        StandInServedEverything(s3);
    }

    [Fact]
    public void With_restore_archived_the_archived_objects_go_into_a_restore_job_and_still_not_into_the_copy_manifest()
    {
        using var s3 = Start(PlantBatch);

        var run = _shell.RunAll($"Start-S3BackupBatchRestore bt-backup bt-source -Prefix b/ -RestoreArchived {BatchTarget}");

        NoErrors(run);
        Assert.Equal(2, s3.Jobs.Count);
        var copy = Assert.Single(s3.Jobs, job => LoopbackS3.OperationOf(job) == "S3PutObjectCopy");
        var restore = Assert.Single(s3.Jobs, job => LoopbackS3.OperationOf(job) == "S3InitiateRestoreObject");
        Assert.Equal(new[] { "b/changed", "b/new", "b/thawed" }.Select(key => ManifestRow(s3, key)), s3.ManifestRows(copy).OrderBy(row => row, StringComparer.Ordinal));
        // b/thawing's restore is under way already: it needs no second one.
        Assert.Equal(new[] { "b/deep", "b/glacier" }.Select(key => ManifestRow(s3, key)), s3.ManifestRows(restore).OrderBy(row => row, StringComparer.Ordinal));
    }
}
