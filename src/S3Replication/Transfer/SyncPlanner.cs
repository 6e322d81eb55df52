using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>How Sync-S3BackupToSource decides that a source object differs from its backup.</summary>
public enum CompareMode
{
    /// <summary>Size and ETag: a same-size change is restored.</summary>
    ETag,

    /// <summary>Size only (what aws s3 sync does, without its timestamp test).</summary>
    Size,

    /// <summary>Copy every selected object.</summary>
    Always,
}

/// <summary>One key of the merge-join of the backup listing with the source listing.</summary>
internal sealed record PlanItem(string Key, S3ObjectRecord? Backup, S3ObjectRecord? Source, string State)
{
    public const string MissingInSource = "MissingInSource";
    public const string MissingInBackup = "MissingInBackup";
    public const string Different = "Different";
    public const string Equal = "Equal";
}

/// <summary>
/// Merge-joins two listings that arrive in S3's key order, one item at a time, so planning a restore or a compare
/// holds two records in memory whatever the bucket size. Pure: no I/O.
/// </summary>
internal static class SyncPlanner
{
    public static async IAsyncEnumerable<PlanItem> Join(IAsyncEnumerable<S3ObjectRecord> backup, IAsyncEnumerable<S3ObjectRecord> source, CompareMode mode)
    {
        var backupItems = backup.GetAsyncEnumerator();
        var sourceItems = source.GetAsyncEnumerator();
        try
        {
            var backupHas = await backupItems.MoveNextAsync().ConfigureAwait(false);
            var sourceHas = await sourceItems.MoveNextAsync().ConfigureAwait(false);
            while (backupHas || sourceHas)
            {
                var order = !backupHas ? 1 : !sourceHas ? -1 : KeyOrder.Instance.Compare(backupItems.Current.Key, sourceItems.Current.Key);
                if (order < 0)
                {
                    yield return new PlanItem(backupItems.Current.Key, backupItems.Current, null, PlanItem.MissingInSource);
                    backupHas = await backupItems.MoveNextAsync().ConfigureAwait(false);
                }
                else if (order > 0)
                {
                    yield return new PlanItem(sourceItems.Current.Key, null, sourceItems.Current, PlanItem.MissingInBackup);
                    sourceHas = await sourceItems.MoveNextAsync().ConfigureAwait(false);
                }
                else
                {
                    var state = Differs(backupItems.Current, sourceItems.Current, mode) ? PlanItem.Different : PlanItem.Equal;
                    yield return new PlanItem(backupItems.Current.Key, backupItems.Current, sourceItems.Current, state);
                    backupHas = await backupItems.MoveNextAsync().ConfigureAwait(false);
                    sourceHas = await sourceItems.MoveNextAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await backupItems.DisposeAsync().ConfigureAwait(false);
            await sourceItems.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// ETags are compared as S3 reports them (quotes and case ignored). A multipart ETag ("…-N") depends on the part
    /// size used for the upload, so the same content can carry different ETags: such a pair counts as different and
    /// is copied again. A restore never skips an object it cannot prove equal.
    /// </summary>
    public static bool Differs(S3ObjectRecord backup, S3ObjectRecord source, CompareMode mode) => mode switch
    {
        CompareMode.Always => true,
        CompareMode.Size => backup.Size != source.Size,
        _ => backup.Size != source.Size || !string.Equals(NormalizeETag(backup.ETag), NormalizeETag(source.ETag), StringComparison.OrdinalIgnoreCase),
    };

    public static string NormalizeETag(string? etag) => (etag ?? "").Trim().Trim('"');

    /// <summary>Why a planned copy is needed, for SyncResult.Reason.</summary>
    public static string ReasonFor(PlanItem item, CompareMode mode) =>
        item.Source is null ? "Missing"
        : mode == CompareMode.Always ? "Always"
        : item.Backup!.Size != item.Source.Size ? "SizeDiffers"
        : "ETagDiffers";
}
