using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>One key decided: the candidate with the facts fetched for it, the decision, or why no decision could be made.</summary>
internal sealed record Decided(Candidate Candidate, RestoreDecision Decision, S3BackupException? Failure = null);

/// <summary>
/// Turns candidates into decisions: <see cref="RestoreDecider"/> says what it needs, this fetches it (a HEAD of the
/// source, of the backup, or of both with their checksums) and asks again, until the decision is made. Only keys that
/// need a fact cost requests, a bounded number at once, and the decisions come out in the order the candidates came in.
/// </summary>
internal sealed class FactResolver
{
    /// <summary>Keys whose facts are fetched at once.</summary>
    public const int MaxInFlight = 32;

    /// <summary>
    /// Keys decided ahead of the oldest key still waiting for a fact, in order. A HEAD takes a round trip, in which a
    /// listing in parallel ranges plans some ten thousand keys: a window of a few dozen stalled the plan at each such key.
    /// </summary>
    public const int MaxWindow = 16_384;

    private readonly IAmazonS3 _backup;
    private readonly IAmazonS3 _source;
    private readonly string _sourceBucket;
    private readonly DecisionPolicy _policy;
    private readonly Func<string, RetryPolicy> _retryFor;
    private readonly InFlight _inFlight;
    private readonly BucketOwners _owners;

    /// <param name="owners">The accounts each HEAD expects to own the bucket it reads.</param>
    /// <param name="inFlight">Where the fetches are tracked, so a stopped run waits for them too.</param>
    public FactResolver(IAmazonS3 backup, IAmazonS3 source, string sourceBucket, BucketOwners owners, DecisionPolicy policy, Func<string, RetryPolicy> retryFor,
        InFlight inFlight)
    {
        _owners = owners;
        _inFlight = inFlight;
        _backup = backup;
        _source = source;
        _sourceBucket = sourceBucket;
        _policy = policy;
        _retryFor = retryFor;
    }

    public async IAsyncEnumerable<Decided> DecideAsync(IAsyncEnumerable<Candidate> plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A decision the candidate's own facts settle needs no task: most keys of a plan are decided so.
        var window = new Queue<(ValueTask<Decided> Decided, bool Fetches)>();
        var fetching = 0;
        await foreach (var candidate in plan.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var decision = RestoreDecider.Decide(candidate, _policy);
            var fetches = decision.Need != Need.None;
            window.Enqueue(fetches ? (new ValueTask<Decided>(_inFlight.Track(DecideAsync(candidate, cancellationToken))), true)
                : (new ValueTask<Decided>(new Decided(candidate, decision)), false));
            fetching += fetches ? 1 : 0;
            while (window.Count > MaxWindow || fetching > MaxInFlight || (window.Count > 0 && window.Peek().Decided.IsCompleted))
            {
                var oldest = window.Dequeue();
                fetching -= oldest.Fetches ? 1 : 0;
                yield return await oldest.Decided.ConfigureAwait(false);
            }
        }
        while (window.Count > 0)
        {
            yield return await window.Dequeue().Decided.ConfigureAwait(false);
        }
    }

    /// <summary>One candidate's decision, fetching each fact it needs once.</summary>
    public async Task<Decided> DecideAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        var fetched = new HashSet<Need>();
        while (true)
        {
            var decision = RestoreDecider.Decide(candidate, _policy);
            if (decision.Need == Need.None)
            {
                return new Decided(candidate, decision);
            }
            if (!fetched.Add(decision.Need))
            {
                throw new InvalidOperationException($"The decision for '{candidate.Key}' asked twice for {decision.Need}.");
            }
            try
            {
                candidate = await FetchAsync(candidate, decision.Need, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
            {
                return new Decided(candidate, decision, Explain(candidate, decision.Need, error));
            }
        }
    }

    private Task<Candidate> FetchAsync(Candidate candidate, Need need, CancellationToken cancellationToken) => need switch
    {
        Need.SourceHead => SourceHeadAsync(candidate, cancellationToken),
        Need.BackupHead => BackupHeadAsync(candidate, cancellationToken),
        _ => ContentAsync(candidate, cancellationToken),
    };

    private async Task<Candidate> SourceHeadAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        var head = await HeadOrNullAsync(_source, _sourceBucket, candidate.Key, null, checksums: false, _owners.Source, cancellationToken).ConfigureAwait(false);
        return candidate with
        {
            SourceKnown = true,
            // The version read, where the bucket names one: a computed-checksum compare pins the source's job to it.
            Source = head is null ? null : new S3ObjectRecord { Bucket = _sourceBucket, Key = candidate.Key, VersionId = NullIfEmpty(head.VersionId), Size = head.ContentLength, ETag = head.ETag },
        };
    }

    private async Task<Candidate> BackupHeadAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        var backup = candidate.Backup!;
        var head = await HeadOrNullAsync(_backup, backup.Bucket, backup.Key, NullIfEmpty(backup.VersionId), checksums: false, _owners.Backup, cancellationToken).ConfigureAwait(false)
            ?? throw new S3BackupException(ErrorId.ObjectNotFound, System.Management.Automation.ErrorCategory.ObjectNotFound,
                $"{backup} is not in the backup (deleted, or that version removed): nothing to restore for '{backup.Key}'.", backup);
        return candidate with { BackupHead = HeadOf(head, backup) };
    }

    /// <summary>
    /// Both objects' HEADs with their checksums, compared by <see cref="ContentComparer"/>. A HEAD that fails (or a key
    /// that vanished meanwhile) proves nothing: the content counts as unverifiable, and the object is copied.
    /// </summary>
    private async Task<Candidate> ContentAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        var backup = candidate.Backup!;
        var backupHead = ProvingHeadAsync(_backup, backup.Bucket, backup.Key, NullIfEmpty(backup.VersionId), _owners.Backup, cancellationToken);
        var sourceHead = ProvingHeadAsync(_source, _sourceBucket, candidate.Key, null, _owners.Source, cancellationToken);
        var (ours, theirs) = (await backupHead.ConfigureAwait(false), await sourceHead.ConfigureAwait(false));
        return candidate with
        {
            Content = ours is null || theirs is null ? SyncReason.Unverifiable
                : ContentComparer.Compare(ContentFingerprint.Of(ours), ContentFingerprint.Of(theirs), _policy.Mode == CompareMode.Checksum),
            BackupHead = ours is null ? candidate.BackupHead : HeadOf(ours, backup),
        };
    }

    private async Task<GetObjectMetadataResponse?> ProvingHeadAsync(IAmazonS3 s3, string bucket, string key, string? versionId, string? owner,
        CancellationToken cancellationToken)
    {
        try
        {
            return await HeadOrNullAsync(s3, bucket, key, versionId, checksums: true, owner, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            return null;
        }
    }

    private Task<GetObjectMetadataResponse?> HeadOrNullAsync(IAmazonS3 s3, string bucket, string key, string? versionId, bool checksums, string? owner,
        CancellationToken cancellationToken) =>
        _retryFor($"Reading the metadata of s3://{bucket}/{key}").RunAsync(token => s3.HeadOrNullAsync(bucket, key, token, versionId, checksums, owner), cancellationToken);

    private static BackupHead HeadOf(GetObjectMetadataResponse head, S3ObjectRecord backup) => new(
        NullIfEmpty(head.VersionId) ?? NullIfEmpty(backup.VersionId),
        head.ContentLength,
        head.ETag,
        head.StorageClass?.Value is { Length: > 0 } storageClass ? storageClass : backup.StorageClass,
        head.RestoreInProgress == true ? ArchiveState.RestoreInProgress : head.RestoreExpiration is not null ? ArchiveState.Restored : ArchiveState.NotRestored);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private S3BackupException Explain(Candidate candidate, Need need, Exception error) => error as S3BackupException ?? (need == Need.SourceHead
        ? AwsErrors.ForFailure(error, "s3:GetObject", $"arn:aws:s3:::{_sourceBucket}/{candidate.Key}",
            $"Reading what s3://{_sourceBucket} holds under '{candidate.Key}'", candidate.Key)
        : AwsErrors.ForFailure(error, candidate.Backup?.VersionId is null ? "s3:GetObject" : "s3:GetObjectVersion",
            $"arn:aws:s3:::{candidate.Backup?.Bucket}/{candidate.Key}", $"Reading the backup object {candidate.Backup}", candidate.Backup ?? (object)candidate.Key));
}
