using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Pipeline;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// Settles the decisions the listings left pending (<see cref="RestoreDecision.NeedsContentCheck"/>): a HEAD of each
/// side with checksum mode on, then <see cref="ContentComparer"/>. Only those keys cost requests, a bounded number at
/// once, and the plan keeps its key order.
/// </summary>
internal sealed class ContentCheck
{
    /// <summary>HEADs in flight at most, per side; the rest of the plan waits behind them in key order.</summary>
    public const int MaxInFlight = 32;

    private readonly IAmazonS3 _backup;
    private readonly IAmazonS3 _source;
    private readonly string _sourceBucket;
    private readonly CompareMode _mode;

    public ContentCheck(IAmazonS3 backup, IAmazonS3 source, string sourceBucket, CompareMode mode)
    {
        _backup = backup;
        _source = source;
        _sourceBucket = sourceBucket;
        _mode = mode;
    }

    /// <summary>The plan with every pending decision settled, in the order the plan came.</summary>
    public async IAsyncEnumerable<PlanItem> ResolveAsync(IAsyncEnumerable<PlanItem> plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var window = new Queue<Task<PlanItem>>();
        await foreach (var item in plan.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            window.Enqueue(item is { Decision.Pending: true, Backup: { } backup, Source: { } source }
                ? SettleAsync(item, backup, source, cancellationToken)
                : Task.FromResult(item));
            while (window.Count > MaxInFlight || (window.Count > 0 && window.Peek().IsCompleted))
            {
                yield return await window.Dequeue().ConfigureAwait(false);
            }
        }
        while (window.Count > 0)
        {
            yield return await window.Dequeue().ConfigureAwait(false);
        }
    }

    private async Task<PlanItem> SettleAsync(PlanItem item, S3ObjectRecord backup, S3ObjectRecord source, CancellationToken cancellationToken)
    {
        var decision = await CompareContentAsync(backup, source.Key, cancellationToken).ConfigureAwait(false);
        return item with { Decision = decision, State = decision.Copy ? PlanState.Different : PlanState.Equal };
    }

    /// <summary>
    /// The restore decision for one backup object (a piped record) against what the source holds under its key
    /// (<paramref name="current"/>, null: nothing), settled by the objects' checksums where size and ETag cannot.
    /// </summary>
    public async Task<RestoreDecision> DecideAsync(S3ObjectRecord backup, S3ObjectRecord? current, CancellationToken cancellationToken)
    {
        var decision = RestoreDecider.Decide(backup, current, _mode);
        return decision.Pending ? await CompareContentAsync(backup, backup.Key, cancellationToken).ConfigureAwait(false) : decision;
    }

    /// <summary>
    /// Compares one backup object with the source's object under its key by their HEADs. A HEAD that fails (or a key
    /// that vanished meanwhile) proves nothing, so the object counts as unverifiable and is copied.
    /// </summary>
    private async Task<RestoreDecision> CompareContentAsync(S3ObjectRecord backup, string sourceKey, CancellationToken cancellationToken)
    {
        var backupHead = HeadAsync(_backup, backup.Bucket, backup.Key, backup.VersionId, cancellationToken);
        var sourceHead = HeadAsync(_source, _sourceBucket, sourceKey, null, cancellationToken);
        var (ours, theirs) = (await backupHead.ConfigureAwait(false), await sourceHead.ConfigureAwait(false));
        return ours is null || theirs is null
            ? RestoreDecision.CopyBecause(SyncReason.Unverifiable, ComparisonBasis.Unverifiable)
            : ContentComparer.Compare(ours, theirs, _mode == CompareMode.Checksum);
    }

    private static async Task<ContentFingerprint?> HeadAsync(IAmazonS3 s3, string bucket, string key, string? versionId, CancellationToken cancellationToken)
    {
        try
        {
            var head = await RetryPolicies.S3.RunAsync(token => s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = bucket,
                Key = key,
                VersionId = versionId,
                ChecksumMode = ChecksumMode.ENABLED,
            }, token), cancellationToken).ConfigureAwait(false);
            return ContentFingerprint.Of(head);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            return null;
        }
    }
}
