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
    /// Ceph RGW an empty 200.
    /// </summary>
    public async Task<ReplicationConfiguration?> GetAsync(string bucket, CancellationToken cancellationToken, string? expectedOwner = null)
    {
        try
        {
            var response = await RetryPolicies.S3.RunAsync(token => _s3.GetBucketReplicationAsync(
                new GetBucketReplicationRequest { BucketName = bucket, ExpectedBucketOwner = expectedOwner }, token), cancellationToken).ConfigureAwait(false);
            var configuration = response.Configuration;
            return configuration?.Rules is { Count: > 0 } ? configuration : null;
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "ReplicationConfigurationNotFoundError")
        {
            return null;
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetReplicationConfiguration", BucketArn(bucket), $"Reading the replication configuration of bucket {bucket}", bucket);
        }
    }

    /// <summary>
    /// Changes one rule of the bucket's configuration with <see cref="VerifiedWrite"/>: the change counts as applied
    /// when the rule's stored fields read back as written (or the rule is gone, for a removal).
    /// </summary>
    public Task<VerifiedWriteResult<ReplicationConfiguration?>> ReadModifyWriteAsync(string bucket, string ruleId,
        Func<ReplicationConfiguration?, ReplicationConfiguration?> change,
        Func<ReplicationConfiguration?, ReplicationConfiguration?, Task<bool>> confirm,
        CancellationToken cancellationToken) =>
        VerifiedWrite.RunAsync(
            token => GetAsync(bucket, token),
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
