using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>What the backup side of a bucket plan selects: a prefix, filters, a moment, and whether each key names its version.</summary>
internal sealed record Selection(string? Prefix, KeyFilter Keys, DateTime? AsOf)
{
    /// <summary>List the backup by version even without -AsOf, so every key is pinned (a plan for review, a Batch manifest).</summary>
    public bool Pinned { get; init; }
}

/// <summary>
/// A restore's own record read back (piped, or from Import-Csv or Import-Clixml): the backup object it read (Bucket, Key,
/// VersionId), where it went and what was done. A removal row (Deleted, WouldDelete) names a key of the source.
/// </summary>
internal sealed class RestoreRow : S3ObjectRecord
{
    public string SourceBucket { get; set; } = "";
    public SyncAction? Action { get; set; }
    public string? SourceVersionId { get; set; }

    public bool IsRemoval => Action is SyncAction.Deleted or SyncAction.WouldDelete;

    /// <summary>
    /// Reads a row from its properties by name (typed, deserialized or all strings as Import-Csv gives them); null when
    /// it is not a restore record (it has no BackupBucket).
    /// </summary>
    public static RestoreRow? Read(Func<string, object?> property)
    {
        string? Text(string name) => property(name) is { } value && value.ToString() is { Length: > 0 } text ? text : null;
        if (Text("BackupBucket") is not { } backupBucket)
        {
            return null;
        }
        var action = Text("Action");
        return new RestoreRow
        {
            Bucket = backupBucket,
            Key = Text("Key") ?? throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
                $"A restore record of s3://{backupBucket} has no Key: it cannot be restored or undone. Pipe the records a restore wrote (or a CSV of them).", backupBucket),
            VersionId = Text("BackupVersionId"),
            Size = Text("Size") is { } size ? long.Parse(size, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0,
            SourceBucket = Text("SourceBucket") ?? "",
            SourceVersionId = Text("SourceVersionId"),
            Action = action is null ? null : Enum.TryParse<SyncAction>(action, ignoreCase: true, out var known) ? known
                : throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
                    $"The restore record of '{Text("Key")}' has Action '{action}', which no restore writes ({string.Join(", ", Enum.GetNames(typeof(SyncAction)))}).", action),
        };
    }
}

/// <summary>
/// What a bucket plan reads each side from: LIST requests, or an S3 Inventory. An inventory is as old as its delivery, so
/// a run that writes reads each key again (a HEAD) on a side that is one before deciding.
/// </summary>
internal sealed record PlanSides(IObjectSource Backup, IObjectSource Source);

/// <summary>Where a run's candidates come from: the merge-join of the two buckets' listings, or rows piped in.</summary>
internal static class PlanSources
{
    /// <summary>
    /// Any row a restore can be entered with, read from its properties by name: a restore record (Key, BackupBucket:
    /// <see cref="RestoreRow"/>), a compare result (Bucket, Key, SourceBucket, State) or a backup object (Bucket, Key;
    /// Batch report tasks are objects too). Values may be typed, deserialized (Import-Clixml) or text (Import-Csv).
    /// </summary>
    public static S3ObjectRecord Row(Func<string, object?> property)
    {
        if (RestoreRow.Read(property) is { } restored)
        {
            return restored;
        }
        string? Text(string name) => property(name) is { } value && value.ToString() is { Length: > 0 } text ? text : null;
        if (Text("Key") is not { } key || Text("Bucket") is not { } bucket)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
                "This row is neither a backup object nor a restore record: it needs Key and Bucket (objects from Get-S3BackupObject, compare results, " +
                "Batch report tasks) or Key and BackupBucket (the records a restore writes). Pipe those, or files exported from them.", property("Key"));
        }
        var record = Text("State") is { } state ? new CompareResult { SourceBucket = Text("SourceBucket") ?? "", State = state } : new S3ObjectRecord();
        record.Bucket = bucket;
        record.Key = key;
        record.VersionId = Text("VersionId");
        record.Size = Text("Size") is { } size ? long.Parse(size, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;
        record.ETag = Text("ETag");
        record.StorageClass = Text("StorageClass");
        record.ChecksumAlgorithm = Text("ChecksumAlgorithm");
        record.IsDeleteMarker = Text("IsDeleteMarker") is { } marker && bool.Parse(marker);
        return record;
    }

    /// <summary>
    /// The backup listing (filtered; as of a moment, or pinned to versions) merge-joined with the source listing under
    /// the same prefix and filters, one key at a time in S3's order. In a run that <paramref name="writes"/>, a side read
    /// from an inventory is read again under each key when it is decided: the source's object (what was written since is
    /// seen), and the backup's (the version current now, or the one -AsOf chose), never the inventory's word for them.
    /// </summary>
    public static IAsyncEnumerable<Candidate> Listings(PlanSides sides, BucketPair pair, Selection selection, SelectionCount? count, bool writes,
        CancellationToken cancellationToken)
    {
        var plan = SyncPlanner.Join(
            ObjectSelection.ListAsync(sides.Backup, pair.Backup, selection.Prefix, selection.Keys, selection.AsOf, cancellationToken, count, selection.Pinned),
            ObjectSelection.ListAsync(sides.Source, pair.Source, selection.Prefix, selection.Keys, asOf: null, cancellationToken));
        return writes && (sides.Backup.IsSnapshot || sides.Source.IsSnapshot)
            ? ReadAgain(plan, sides.Backup.IsSnapshot, keepVersion: selection.AsOf is not null, sides.Source.IsSnapshot)
            : plan;
    }

    /// <summary>
    /// Candidates whose inventory-read sides are to be read again: the source marked unknown (a HEAD), the backup without
    /// its size and ETag (a HEAD, which pins the version it finds), keeping the version only where -AsOf chose it.
    /// </summary>
    private static async IAsyncEnumerable<Candidate> ReadAgain(IAsyncEnumerable<Candidate> plan, bool backup, bool keepVersion, bool source)
    {
        await foreach (var candidate in plan.ConfigureAwait(false))
        {
            yield return candidate with
            {
                Backup = backup && candidate.Backup is { } listed
                    ? new S3ObjectRecord { Bucket = listed.Bucket, Key = listed.Key, VersionId = keepVersion ? listed.VersionId : null, StorageClass = listed.StorageClass }
                    : candidate.Backup,
                SourceKnown = candidate.SourceKnown && !source,
            };
        }
    }

    /// <summary>
    /// How many backup objects the selection keeps, read beside a run that copies so its progress has a total early: the
    /// same listing again, LIST requests in parallel ranges (an inventory says its count itself, see RestoreRun).
    /// </summary>
    public static async Task<long> CountAsync(PlanSides sides, BucketPair pair, Selection selection, CancellationToken cancellationToken)
    {
        var count = 0L;
        await foreach (var _ in ObjectSelection.ListAsync(sides.Backup, pair.Backup, selection.Prefix, selection.Keys, selection.AsOf, cancellationToken)
            .ConfigureAwait(false))
        {
            count++;
        }
        return count;
    }

    /// <summary>The backup bucket a piped row reads from, and the source bucket it names (empty where it names none).</summary>
    public static (string Backup, string Source) BucketsOf(S3ObjectRecord row) => row switch
    {
        CompareResult compared => (row.Bucket, compared.SourceBucket),
        RestoreRow restored => (row.Bucket, restored.SourceBucket),
        _ => (row.Bucket, ""),
    };

    /// <summary>
    /// A piped row as a candidate of the run between <paramref name="pair"/>'s buckets: what the source holds is read when
    /// it is decided (a HEAD), never taken from the row. Rows that name only a source key (compare results MissingInBackup,
    /// restore records of removals) are removals, carried out only with -Mirror. A row of another pair is refused.
    /// </summary>
    public static Candidate Piped(S3ObjectRecord row, BucketPair pair)
    {
        ObjectSelection.RequireBucket(row);
        var (backup, source) = BucketsOf(row);
        if (backup == pair.Source)
        {
            throw new S3BackupException(ErrorId.SameBucket, ErrorCategory.InvalidArgument,
                $"The piped object '{row.Key}' is in s3://{pair.Source}, the bucket this restore writes into: pipe objects of the backup bucket " +
                $"s3://{pair.Backup}. It was left alone, and nothing after it was done.", row);
        }
        if (backup != pair.Backup || (source.Length > 0 && source != pair.Source))
        {
            throw new S3BackupException(ErrorId.InputMismatch, ErrorCategory.InvalidArgument,
                $"The piped row for '{row.Key}' is of s3://{backup}{(source.Length > 0 ? $" and s3://{source}" : "")}, but this restore reads s3://{pair.Backup} " +
                $"and writes s3://{pair.Source} (as named, or as the first piped row said): restore each pair of buckets in a pipeline of its own. " +
                "It was left alone, and nothing after it was done.", row);
        }
        var removal = row is CompareResult { State: nameof(PlanState.MissingInBackup) } || row is RestoreRow { IsRemoval: true };
        return removal
            ? new Candidate(row.Key, null, new S3ObjectRecord { Bucket = pair.Source, Key = row.Key, Size = row.Size }) { SourceKnown = false }
            : new Candidate(row.Key, row, null) { SourceKnown = false };
    }
}
