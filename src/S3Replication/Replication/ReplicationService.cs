using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Replication;

/// <summary>S3 I/O for replication configurations and bucket versioning.</summary>
internal sealed class ReplicationService
{
    /// <summary>How often a change that another writer undid is applied again from the new state.</summary>
    public const int ReapplyLimit = 5;

    /// <summary>How long a write must survive before it counts: other writers' stale writes land within this.</summary>
    public static readonly TimeSpan DefaultSettleDelay = TimeSpan.FromMilliseconds(400);

    private readonly IAmazonS3 _s3;
    private readonly TimeSpan _settleDelay;

    public ReplicationService(IAmazonS3 s3) : this(s3, DefaultSettleDelay)
    {
    }

    public ReplicationService(IAmazonS3 s3, TimeSpan settleDelay)
    {
        _s3 = s3;
        _settleDelay = settleDelay;
    }

    /// <summary>
    /// The bucket's configuration, or null when it has none: AWS answers 404 ReplicationConfigurationNotFoundError,
    /// Ceph RGW an empty 200. A bucket that does not exist reads as null too (see <see cref="GetRequiringBucketAsync"/>):
    /// for the restore's guard against swapped bucket names both mean "no rule to go by".
    /// </summary>
    public async Task<ReplicationConfiguration?> GetAsync(string bucket, CancellationToken cancellationToken, string? expectedOwner = null) =>
        (await ReadAsync(bucket, expectedOwner, cancellationToken).ConfigureAwait(false)).Configuration;

    /// <summary>
    /// As <see cref="GetAsync"/>, but a bucket that does not exist is an error (BucketNotFound), not a bucket without
    /// a configuration: the replication cmdlets must not report "no rules" for a misspelt name.
    /// </summary>
    public async Task<ReplicationConfiguration?> GetRequiringBucketAsync(string bucket, CancellationToken cancellationToken, string? expectedOwner = null)
    {
        var (configuration, unexplainedNotFound) = await ReadAsync(bucket, expectedOwner, cancellationToken).ConfigureAwait(false);
        if (unexplainedNotFound)
        {
            await RequireBucketAsync(bucket, expectedOwner, cancellationToken).ConfigureAwait(false);
        }
        return configuration;
    }

    /// <summary>
    /// The configuration (null when it has no rules), and whether S3 answered a 404 without saying why. The SDK turns
    /// every 404 to this request into an empty response (it suppresses 404s for bucket sub-resources), so the error
    /// code is lost and "no configuration" and "no such bucket" look the same.
    /// </summary>
    private async Task<(ReplicationConfiguration? Configuration, bool UnexplainedNotFound)> ReadAsync(string bucket, string? expectedOwner,
        CancellationToken cancellationToken)
    {
        try
        {
            var response = await RetryPolicies.S3.RunAsync(token => _s3.GetBucketReplicationAsync(
                new GetBucketReplicationRequest { BucketName = bucket, ExpectedBucketOwner = expectedOwner }, token), cancellationToken).ConfigureAwait(false);
            var configuration = response.Configuration;
            return (configuration?.Rules is { Count: > 0 } ? configuration : null, response.HttpStatusCode == HttpStatusCode.NotFound);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "ReplicationConfigurationNotFoundError")
        {
            return (null, false);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetReplicationConfiguration", BucketArn(bucket), $"Reading the replication configuration of bucket {bucket}", bucket);
        }
    }

    /// <summary>
    /// After a 404 for the configuration: asks the same bucket for its versioning state (a request that does report
    /// NoSuchBucket, and whose permission the replication cmdlets need anyway), and fails with BucketNotFound when S3
    /// says the bucket does not exist. Any other answer, a refusal included, leaves the bucket taken as existing.
    /// </summary>
    private async Task RequireBucketAsync(string bucket, string? expectedOwner, CancellationToken cancellationToken)
    {
        try
        {
            await RetryPolicies.S3.RunAsync(token => _s3.GetBucketVersioningAsync(
                new GetBucketVersioningRequest { BucketName = bucket, ExpectedBucketOwner = expectedOwner }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "NoSuchBucket")
        {
            throw AwsErrors.ForS3(error, "s3:GetReplicationConfiguration", BucketArn(bucket), $"Reading the replication configuration of bucket {bucket}", bucket);
        }
        catch (AmazonS3Exception)
        {
            // Only NoSuchBucket answers the question; the configuration itself was read, so nothing else here is a failure.
        }
    }

    /// <summary>
    /// Changes one rule of the bucket's configuration with <see cref="VerifiedWrite"/>: the change counts as applied
    /// when the rule's stored fields read back as written (or the rule is gone, for a removal).
    /// </summary>
    public Task<VerifiedWriteResult<ReplicationConfiguration?>> ReadModifyWriteAsync(string bucket, string ruleId,
        Func<ReplicationConfiguration?, ReplicationConfiguration?> change,
        Func<ReplicationConfiguration?, ReplicationConfiguration?, Task<bool>> confirm,
        CancellationToken cancellationToken)
    {
        // Whether the bucket exists is asked at the first read only: the later reads follow it within seconds, and after a
        // removal that deleted the configuration each of them is a 404 on AWS that needs no second look.
        var firstRead = true;
        Task<ReplicationConfiguration?> ReadCheckingBucketFirstAsync(CancellationToken token)
        {
            var requireBucket = firstRead;
            firstRead = false;
            return requireBucket ? GetRequiringBucketAsync(bucket, token) : GetAsync(bucket, token);
        }
        return VerifiedWrite.RunAsync(
            ReadCheckingBucketFirstAsync,
            change,
            confirm,
            (configuration, token) => WriteAsync(bucket, configuration, token),
            (readBack, written) => ReplicationRules.CoreOf(readBack, ruleId) == ReplicationRules.CoreOf(written, ruleId),
            _settleDelay,
            ReapplyLimit,
            () => new S3BackupException(ErrorId.ConcurrentModification, System.Management.Automation.ErrorCategory.ResourceUnavailable,
                $"The replication configuration of bucket {bucket} kept changing while it was being written ({ReapplyLimit} attempts). " +
                "Another process is editing it; run the command again when it has finished.", bucket),
            cancellationToken);
    }

    private async Task WriteAsync(string bucket, ReplicationConfiguration? configuration, CancellationToken cancellationToken)
    {
        try
        {
            if (configuration is null)
            {
                await RetryPolicies.S3.RunAsync(token => _s3.DeleteBucketReplicationAsync(new DeleteBucketReplicationRequest { BucketName = bucket }, token), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RetryPolicies.S3.RunAsync(token => _s3.PutBucketReplicationAsync(new PutBucketReplicationRequest { BucketName = bucket, Configuration = configuration }, token), cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        catch (AmazonS3Exception error)
        {
            var action = configuration is null ? "Deleting" : "Writing";
            throw AwsErrors.ForS3(error, "s3:PutReplicationConfiguration (and iam:PassRole on the replication role)", BucketArn(bucket),
                $"{action} the replication configuration of bucket {bucket}", bucket);
        }
    }

    /// <summary>Enabled, Suspended or Off (never enabled).</summary>
    public async Task<string> GetVersioningAsync(string bucket, CancellationToken cancellationToken, string? expectedOwner = null)
    {
        try
        {
            var response = await RetryPolicies.S3.RunAsync(token => _s3.GetBucketVersioningAsync(
                new GetBucketVersioningRequest { BucketName = bucket, ExpectedBucketOwner = expectedOwner }, token), cancellationToken).ConfigureAwait(false);
            var status = response.VersioningConfig?.Status?.Value;
            return string.IsNullOrEmpty(status) ? "Off" : status!;
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetBucketVersioning", BucketArn(bucket), $"Reading the versioning state of bucket {bucket}", bucket);
        }
    }

    public async Task EnableVersioningAsync(string bucket, CancellationToken cancellationToken)
    {
        try
        {
            await RetryPolicies.S3.RunAsync(token => _s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = bucket,
                VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:PutBucketVersioning", BucketArn(bucket), $"Enabling versioning on bucket {bucket}", bucket);
        }
    }

    public static string BucketArn(string bucket) => "arn:aws:s3:::" + bucket;

    public static bool IsDeniedOrMissing(S3BackupException error) =>
        error.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.NotFound };
}
