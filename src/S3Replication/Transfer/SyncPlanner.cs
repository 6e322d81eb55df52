using System.Collections.Generic;
using System.Threading.Tasks;
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
}

/// <summary>One key of the merge-join of the backup listing with the source listing.</summary>
internal sealed record PlanItem(string Key, S3ObjectRecord? Backup, S3ObjectRecord? Source, PlanState State)
{
    /// <summary>The restore's decision for this key (null for a key only the source has: a restore leaves it alone).</summary>
    public RestoreDecision? Decision { get; init; }
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
                    yield return new PlanItem(backupItems.Current.Key, backupItems.Current, null, PlanState.MissingInSource)
                    {
                        Decision = RestoreDecider.Decide(backupItems.Current, null, mode),
                    };
                    backupHas = await backupItems.MoveNextAsync().ConfigureAwait(false);
                }
                else if (order > 0)
                {
                    yield return new PlanItem(sourceItems.Current.Key, null, sourceItems.Current, PlanState.MissingInBackup);
                    sourceHas = await sourceItems.MoveNextAsync().ConfigureAwait(false);
                }
                else
                {
                    var decision = RestoreDecider.Decide(backupItems.Current, sourceItems.Current, mode);
                    yield return new PlanItem(backupItems.Current.Key, backupItems.Current, sourceItems.Current, decision.Copy ? PlanState.Different : PlanState.Equal)
                    {
                        Decision = decision,
                    };
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
}
