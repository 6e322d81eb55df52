using System.Collections.Generic;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>How Sync-S3BackupToSource decides that a source object differs from its backup.</summary>
public enum CompareMode
{
    /// <summary>
    /// Size, then ETag where ETags are comparable, then the objects' additional checksums (one HEAD per side, only
    /// for same-size objects whose ETags differ); copied where nothing can tell.
    /// </summary>
    Auto,

    /// <summary>Size and ETag: a same-size change is restored; so is every SSE-KMS or re-uploaded multipart object.</summary>
    ETag,

    /// <summary>Size, then the additional checksums only (a HEAD per side for every same-size pair).</summary>
    Checksum,

    /// <summary>Size only (what aws s3 sync does, without its timestamp test).</summary>
    Size,

    /// <summary>Copy every selected object.</summary>
    Always,

    /// <summary>
    /// Compare-S3BackupBucket only: size, then a checksum S3 Batch Operations computes from each object's bytes at rest
    /// (Compute checksum jobs on both buckets, one full-object checksum per object), without downloading or restoring any.
    /// </summary>
    ComputedChecksum,
}

/// <summary>
/// Merge-joins two listings that arrive in S3's key order, one key at a time, so planning a restore or a compare holds
/// two records in memory whatever the bucket size: each key once, with the backup's object, the source's, or both.
/// Pure: no I/O.
/// </summary>
internal static class SyncPlanner
{
    public static async IAsyncEnumerable<Candidate> Join(IAsyncEnumerable<S3ObjectRecord> backup, IAsyncEnumerable<S3ObjectRecord> source)
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
                var (key, ours, theirs) = order < 0 ? (backupItems.Current.Key, backupItems.Current, null)
                    : order > 0 ? (sourceItems.Current.Key, null, sourceItems.Current)
                    : (backupItems.Current.Key, backupItems.Current, sourceItems.Current);
                yield return new Candidate(key, ours, theirs);
                if (order <= 0)
                {
                    backupHas = await backupItems.MoveNextAsync().ConfigureAwait(false);
                }
                if (order >= 0)
                {
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
}
