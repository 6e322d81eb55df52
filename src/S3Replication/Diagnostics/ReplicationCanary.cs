using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Diagnostics;

/// <summary>
/// Proves replication end to end: writes a small object into the source bucket where the rule covers it, waits until
/// its replica is in the backup bucket with the same bytes, and removes the canary's versions on both sides again.
/// </summary>
internal sealed class ReplicationCanary
{
    public const string Check = "Canary";

    /// <summary>Where canaries go (under the rule's prefix), so the sample leaves them out and an operator can recognise any leftover.</summary>
    public const string CanaryFolder = "s3replication-canary/";

    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(10);

    private readonly AwsSession _source;
    private readonly AwsSession _backupReader;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    public ReplicationCanary(AwsSession source, AwsSession backupReader, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _source = source;
        _backupReader = backupReader;
        _delay = delay ?? Task.Delay;
    }

    public static bool IsCanary(string key) => key.Contains(CanaryFolder);

    public static string KeyFor(ReviewedRule rule, DateTime now) =>
        $"{(rule.WholeBucket ? "" : rule.Rule.Prefix)}{CanaryFolder}{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N").Substring(0, 8)}";

    /// <summary>
    /// What became of the last canary, for a run that was stopped (Ctrl+C): its key, and what the clean-up could not
    /// remove. Null before a canary was written.
    /// </summary>
    public string? StopNote { get; private set; }

    /// <summary>
    /// Runs the canary: one finding for the replica (Passed with the delay, Failed on timeout or different bytes), and a
    /// Warning for anything the clean-up could not remove. <paramref name="waited"/> hears how long it has waited so far.
    /// The clean-up runs however the wait ends, a stop included, and removes every version of the canary's key (a key
    /// of its own) in both buckets.
    /// </summary>
    public async Task<IReadOnlyList<ReplicationFinding>> RunAsync(string sourceBucket, ReviewedRule rule, TimeSpan timeout, Action<TimeSpan> waited,
        CancellationToken cancellationToken)
    {
        var key = KeyFor(rule, DateTime.UtcNow);
        var body = new byte[64];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(body);
        }
        var target = $"s3://{sourceBucket}/{key}";
        var findings = new List<ReplicationFinding>();
        StopNote = $"The canary {target} was being written";
        try
        {
            string etag;
            try
            {
                etag = (await RetryPolicies.S3.RunAsync(token => _source.S3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = sourceBucket,
                    Key = key,
                    InputStream = new MemoryStream(body, writable: false),
                    ContentType = "application/octet-stream",
                    // A tag rule covers only objects with all its tags: the canary carries them.
                    TagSet = rule.Rule.Tags.Cast<DictionaryEntry>().Select(tag => new Tag { Key = (string)tag.Key, Value = (string?)tag.Value ?? "" }).ToList(),
                }, token), cancellationToken).ConfigureAwait(false)).ETag;
            }
            catch (AmazonS3Exception error)
            {
                findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Error, AwsErrors.ForS3(error, "s3:PutObject (and s3:PutObjectTagging for a tag rule)",
                    $"arn:aws:s3:::{sourceBucket}/{key}", "Writing the canary", key).Message));
                return findings;
            }
            findings.Add(await AwaitReplicaAsync(rule.BackupBucket, key, body, etag, timeout, waited, cancellationToken).ConfigureAwait(false) with { Target = target });
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            var left = (await RemoveAsync(_source, sourceBucket, key, cleanup.Token).ConfigureAwait(false))
                .Concat(await RemoveAsync(_backupReader, rule.BackupBucket, key, cleanup.Token).ConfigureAwait(false)).ToList();
            StopNote = left.Count == 0
                ? $"The canary {target} was removed from both buckets"
                : $"The canary {target} could not all be removed: {string.Join("; ", left)}";
            if (left.Count > 0)
            {
                findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Warning, $"The canary could not all be removed: {string.Join("; ", left)}.",
                    $"Remove what is left: Get-S3BackupObject -Bucket <bucket> -Prefix {key} -AllVersions, then aws s3api delete-object --bucket <bucket> --key {key} --version-id <version>"));
            }
        }
        return findings;
    }

    private async Task<ReplicationFinding> AwaitReplicaAsync(string backupBucket, string key, byte[] body, string etag, TimeSpan timeout, Action<TimeSpan> waited,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var pause = FirstPoll;
        while (true)
        {
            Replica? replica;
            try
            {
                replica = await ReadAsync(backupBucket, key, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.Forbidden)
            {
                return new ReplicationFinding(Check, "", FindingOutcome.Error,
                    $"This session may not read s3://{backupBucket}/{key} ({error.ErrorCode ?? "403"}), so the replica cannot be seen.",
                    "Give -BackupSession (a session in the backup account that may read the backup bucket).");
            }
            if (replica is { Bytes: null } archived)
            {
                // An archived replica (GLACIER, DEEP_ARCHIVE) cannot be read without a restore: its arrival is the proof.
                return new ReplicationFinding(Check, "", FindingOutcome.Passed,
                    $"Replicated to s3://{backupBucket} in {clock.Elapsed.TotalSeconds:0.#} s, stored as {archived.StorageClass}: its bytes were not read (archived), " +
                    $"its ETag {(ETags.Normalize(archived.ETag) == ETags.Normalize(etag) ? "is the canary's" : "differs from the canary's (as with SSE-KMS)")}.");
            }
            if (replica is { Bytes: { } bytes })
            {
                return bytes.SequenceEqual(body)
                    ? new ReplicationFinding(Check, "", FindingOutcome.Passed, $"Replicated to s3://{backupBucket} in {clock.Elapsed.TotalSeconds:0.#} s, with the same content.")
                    : new ReplicationFinding(Check, "", FindingOutcome.Failed,
                        $"The replica in s3://{backupBucket} has other bytes than the canary ({bytes.Length} bytes, {body.Length} written).",
                        "Something other than S3 replication writes to the backup bucket under this key, or the bytes changed on the way: look at the backup bucket's other writers.");
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return new ReplicationFinding(Check, "", FindingOutcome.Failed,
                    $"No replica in s3://{backupBucket} after {ReplicationSample.Describe(timeout)}. A replica that arrives later stays there as s3://{backupBucket}/{key}.",
                    "Fix what the other findings name. S3 replicates most objects within 15 minutes but promises no time without Replication Time Control: " +
                    "if nothing else is wrong, try again with a longer -Timeout.");
            }
            waited(clock.Elapsed);
            await _delay(pause < left ? pause : left, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(LongestPoll.Ticks, pause.Ticks * 3 / 2));
        }
    }

    /// <summary>A replica as found: its bytes, or null bytes where it is archived (its storage class and ETag then).</summary>
    private sealed record Replica(byte[]? Bytes, string? StorageClass, string? ETag);

    /// <summary>The replica, or null while it is not there. HEAD first: an archived replica answers GET with InvalidObjectState.</summary>
    private async Task<Replica?> ReadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _backupReader.S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            var storageClass = head.StorageClass?.Value;
            if (storageClass is "GLACIER" or "DEEP_ARCHIVE")
            {
                return new Replica(null, storageClass, head.ETag);
            }
            using var response = await _backupReader.S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
            return new Replica(buffer.ToArray(), storageClass, head.ETag);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes every version (and delete marker) of the canary's key in one bucket; says what it could not remove.
    /// Deleting a version is never replicated, unlike a delete marker: neither side keeps anything of the canary.
    /// </summary>
    private static async Task<IReadOnlyList<string>> RemoveAsync(AwsSession session, string bucket, string key, CancellationToken cancellationToken)
    {
        var left = new List<string>();
        try
        {
            var versions = await RetryPolicies.S3.RunAsync(token => session.S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = key }, token),
                cancellationToken).ConfigureAwait(false);
            foreach (var version in (versions.Versions ?? new List<S3ObjectVersion>()).Where(version => version.Key == key))
            {
                try
                {
                    await RetryPolicies.S3.RunAsync(token => session.S3.DeleteObjectAsync(
                        new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = version.VersionId }, token), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (error is AmazonS3Exception or OperationCanceledException)
                {
                    left.Add($"s3://{bucket}/{key} version {version.VersionId} ({Reason(error)})");
                }
            }
        }
        catch (Exception error) when (error is AmazonS3Exception or OperationCanceledException)
        {
            left.Add($"s3://{bucket}/{key}, if it is there ({Reason(error)})");
        }
        return left;
    }

    private static string Reason(Exception error) => error is AmazonS3Exception s3 ? s3.ErrorCode ?? s3.StatusCode.ToString() : "timed out";
}
