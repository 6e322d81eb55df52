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
    /// Runs the canary: one finding for the replica (Passed with the delay, Failed on timeout or different bytes), and a
    /// Warning for anything the clean-up could not remove. <paramref name="waited"/> hears how long it has waited so far.
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
        PutObjectResponse put;
        try
        {
            put = await RetryPolicies.S3.RunAsync(token => _source.S3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = sourceBucket,
                Key = key,
                InputStream = new MemoryStream(body, writable: false),
                ContentType = "application/octet-stream",
                // A tag rule covers only objects with all its tags: the canary carries them.
                TagSet = rule.Rule.Tags.Cast<DictionaryEntry>().Select(tag => new Tag { Key = (string)tag.Key, Value = (string?)tag.Value ?? "" }).ToList(),
            }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error)
        {
            return new[] { new ReplicationFinding(Check, target, FindingOutcome.Error,
                AwsErrors.ForS3(error, "s3:PutObject (and s3:PutObjectTagging for a tag rule)", $"arn:aws:s3:::{sourceBucket}/{key}", "Writing the canary", key).Message) };
        }
        var findings = new List<ReplicationFinding>();
        try
        {
            findings.Add(await AwaitReplicaAsync(rule.BackupBucket, key, body, timeout, waited, cancellationToken).ConfigureAwait(false) with { Target = target });
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            var left = await RemoveAsync(sourceBucket, key, string.IsNullOrEmpty(put.VersionId) ? null : put.VersionId, rule.BackupBucket, cleanup.Token).ConfigureAwait(false);
            if (left.Count > 0)
            {
                findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Warning, $"The canary could not all be removed: {string.Join("; ", left)}.",
                    $"Remove what is left: Get-S3BackupObject -Bucket <bucket> -Prefix {key} -AllVersions, then aws s3api delete-object --bucket <bucket> --key {key} --version-id <version>"));
            }
        }
        return findings;
    }

    private async Task<ReplicationFinding> AwaitReplicaAsync(string backupBucket, string key, byte[] body, TimeSpan timeout, Action<TimeSpan> waited,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var pause = FirstPoll;
        while (true)
        {
            byte[]? replica;
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
            if (replica is not null)
            {
                return replica.SequenceEqual(body)
                    ? new ReplicationFinding(Check, "", FindingOutcome.Passed, $"Replicated to s3://{backupBucket} in {clock.Elapsed.TotalSeconds:0.#} s, with the same content.")
                    : new ReplicationFinding(Check, "", FindingOutcome.Failed,
                        $"The replica in s3://{backupBucket} has other bytes than the canary ({replica.Length} bytes, {body.Length} written).",
                        "Something other than S3 replication writes to the backup bucket under this key, or the bytes changed on the way: look at the backup bucket's other writers.");
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return new ReplicationFinding(Check, "", FindingOutcome.Failed,
                    $"No replica in s3://{backupBucket} after {ReplicationSample.Describe(timeout)}.",
                    "Fix what the other findings name. S3 replicates most objects within 15 minutes but promises no time without Replication Time Control: " +
                    "if nothing else is wrong, try again with a longer -Timeout.");
            }
            waited(clock.Elapsed);
            await _delay(pause < left ? pause : left, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(LongestPoll.Ticks, pause.Ticks * 3 / 2));
        }
    }

    /// <summary>The replica's bytes, or null while it is not there.</summary>
    private async Task<byte[]?> ReadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _backupReader.S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Removes the canary's version in the source and every version of its key in the backup; says what it could not remove.</summary>
    private async Task<IReadOnlyList<string>> RemoveAsync(string sourceBucket, string key, string? versionId, string backupBucket, CancellationToken cancellationToken)
    {
        var left = new List<string>();
        try
        {
            // Deleting one version is never replicated, unlike a delete marker: the backup keeps nothing of it.
            await RetryPolicies.S3.RunAsync(token => _source.S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = sourceBucket, Key = key, VersionId = versionId }, token),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is AmazonS3Exception or OperationCanceledException)
        {
            left.Add($"s3://{sourceBucket}/{key} version {versionId ?? "(unversioned)"} ({Reason(error)})");
        }
        try
        {
            var versions = await RetryPolicies.S3.RunAsync(token => _backupReader.S3.ListVersionsAsync(new ListVersionsRequest { BucketName = backupBucket, Prefix = key }, token),
                cancellationToken).ConfigureAwait(false);
            foreach (var version in (versions.Versions ?? new List<S3ObjectVersion>()).Where(version => version.Key == key))
            {
                try
                {
                    await RetryPolicies.S3.RunAsync(token => _backupReader.S3.DeleteObjectAsync(
                        new DeleteObjectRequest { BucketName = backupBucket, Key = key, VersionId = version.VersionId }, token), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (error is AmazonS3Exception or OperationCanceledException)
                {
                    left.Add($"s3://{backupBucket}/{key} version {version.VersionId} ({Reason(error)})");
                }
            }
        }
        catch (Exception error) when (error is AmazonS3Exception or OperationCanceledException)
        {
            left.Add($"the replica in s3://{backupBucket}, if it came ({Reason(error)})");
        }
        return left;
    }

    private static string Reason(Exception error) => error is AmazonS3Exception s3 ? s3.ErrorCode ?? s3.StatusCode.ToString() : "timed out";
}
