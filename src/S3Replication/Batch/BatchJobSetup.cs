using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Trust;
using S3Replication.Records;

namespace S3Replication.Batch;

/// <summary>
/// What every job the module creates (Start-S3BackupBatchRestore, Start-S3BackupBatchReplication, a computed-checksum
/// compare) needs first: a role Batch Operations may assume, the bucket's region, and a manifest in the work bucket that
/// reads back as written.
/// </summary>
internal sealed class BatchJobSetup
{
    private readonly AwsSession _session;
    private readonly string _workBucket;
    private readonly string _roleArn;
    private readonly Func<string, Task> _warn;

    public BatchJobSetup(AwsSession session, string workBucket, string roleArn, Func<string, Task> warn)
    {
        _session = session;
        _workBucket = workBucket;
        _roleArn = roleArn;
        _warn = warn;
    }

    public static void RequireRoleArn(string roleArn)
    {
        if (!AwsNames.IsRoleArn(roleArn))
        {
            throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidArgument,
                $"'{roleArn}' is not a role ARN (expected arn:aws:iam::<12-digit account>:role/<name>).", roleArn);
        }
    }

    /// <summary>The job must run as a role Batch Operations may assume; a trust policy that cannot be read is said, not guessed.</summary>
    public async Task RequireBatchTrustAsync(CancellationToken cancellationToken)
    {
        var roleName = _roleArn.Substring(_roleArn.LastIndexOf('/') + 1);
        TrustPolicyDocument policy;
        try
        {
            policy = (await new TrustService(_session.Iam, _session.KnownIdentity?.Account, TrustService.DefaultSettleDelay).GetAsync(roleName, cancellationToken)
                .ConfigureAwait(false)).Policy;
        }
        catch (S3BackupException error) when (error.ErrorId is ErrorId.AccessDenied)
        {
            await _warn($"The trust policy of {_roleArn} could not be read ({error.Message}); the job fails at once if the role does not trust " +
                $"{BatchJobs.BatchServicePrincipal}.").ConfigureAwait(false);
            return;
        }
        if (!policy.Principals.Any(principal => principal is { Type: "Service", Value: BatchJobs.BatchServicePrincipal, Effect: "Allow", IsNotPrincipal: false }))
        {
            throw new S3BackupException(ErrorId.BatchRoleNotTrusted, ErrorCategory.PermissionDenied,
                $"Role {_roleArn} does not trust {BatchJobs.BatchServicePrincipal}, so Batch Operations cannot run as it. Add it with: " +
                $"Add-BackupRoleTrustPrincipal -RoleName {roleName} -PrincipalArn {BatchJobs.BatchServicePrincipal}. Nothing was created.", _roleArn);
        }
    }

    /// <summary>
    /// Jobs run in the bucket's region; a server that names no location (us-east-1, Ceph RGW) keeps the session's. The
    /// request expects <paramref name="expectedOwner"/> to own the bucket, as a restore's every request does (null: not known).
    /// It is asked with <paramref name="reader"/>, the session that reads the bucket (by default the job's).
    /// </summary>
    public async Task<string> RegionOfAsync(string bucket, string? expectedOwner, CancellationToken cancellationToken, AwsSession? reader = null)
    {
        var fallback = (_session.S3ControlSettings ?? _session.S3Settings).Region;
        try
        {
            var location = (await (reader ?? _session).S3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket, ExpectedBucketOwner = expectedOwner }, cancellationToken).ConfigureAwait(false))
                .Location?.Value;
            return location switch
            {
                null or "" or "US" => fallback,
                "EU" => "eu-west-1",
                _ => location,
            };
        }
        catch (AmazonS3Exception)
        {
            return fallback;
        }
    }

    /// <summary>
    /// Puts the manifest with SSE-S3 (Batch Operations cannot read a KMS-encrypted CSV manifest, so a work bucket's KMS
    /// default must not apply) and reads it back: the job is created only for a manifest that is there, as written.
    /// A server that offers no SSE-S3 (Ceph RGW without a key backend) gets the manifest without it, and a warning.
    /// </summary>
    public async Task<BatchManifestLocation> UploadManifestAsync(string file, string key, IReadOnlyList<string> fields, CancellationToken cancellationToken)
    {
        try
        {
            PutObjectResponse put;
            try
            {
                put = await PutManifestAsync(file, key, ServerSideEncryptionMethod.AES256, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception refused) when (refused.ErrorCode is "InvalidRequest" or "NotImplemented" or "InvalidArgument")
            {
                await _warn($"s3://{_workBucket} refused SSE-S3 for the manifest ({refused.ErrorCode}); it is stored with the bucket's default " +
                    "encryption. On AWS, a work bucket whose default is SSE-KMS would make the manifest unreadable to Batch Operations.").ConfigureAwait(false);
                put = await PutManifestAsync(file, key, null, cancellationToken).ConfigureAwait(false);
            }
            var head = await RetryPolicies.S3.RunAsync(token => _session.S3.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _workBucket, Key = key, VersionId = put.VersionId }, token), cancellationToken).ConfigureAwait(false);
            if (head.ETag != put.ETag || head.ContentLength != new FileInfo(file).Length)
            {
                throw new S3BackupException(ErrorId.BatchManifestFailed, ErrorCategory.WriteError,
                    $"The manifest s3://{_workBucket}/{key} did not read back as written (ETag {head.ETag}, {head.ContentLength:N0} bytes). No job was created.", key);
            }
            // CreateJob takes the ETag bare, as AWS's examples and SDKs give it; S3 answers PUT with it quoted.
            return new BatchManifestLocation($"arn:aws:s3:::{_workBucket}/{key}", put.ETag.Trim('"'), string.IsNullOrEmpty(put.VersionId) ? null : put.VersionId, fields);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:PutObject", $"arn:aws:s3:::{_workBucket}/{key}",
                $"Writing the Batch Operations manifest to s3://{_workBucket}/{key} (no job was created)", _workBucket);
        }
    }

    private Task<PutObjectResponse> PutManifestAsync(string file, string key, ServerSideEncryptionMethod? encryption, CancellationToken cancellationToken) =>
        RetryPolicies.S3.RunAsync(token => _session.S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _workBucket,
            Key = key,
            FilePath = file,
            ContentType = "text/csv",
            ServerSideEncryptionMethod = encryption,
        }, token), cancellationToken);

    /// <summary>Creates the job and returns it as S3 then describes it, with the tasks planned where they are known.</summary>
    public async Task<S3BatchJobRecord> CreateJobAsync(string accountId, string region, BatchJobRequest job, long? expectedTasks, string kind,
        string bucket, CancellationToken cancellationToken)
    {
        using var client = BatchJobs.Client(_session, region);
        string jobId;
        try
        {
            jobId = await client.CreateJobAsync(accountId, job, cancellationToken).ConfigureAwait(false);
        }
        catch (S3ControlException error)
        {
            throw BatchJobs.Failure(error, $"Creating the {kind} job in account {accountId}", bucket,
                $"s3:CreateJob and s3:DescribeJob in S3 Control, and iam:PassRole on {_roleArn} to hand the job its role");
        }
        // The job exists from here on: a failure to describe it says so (it names the job), not that creating it failed.
        var record = await BatchJobs.DescribeAsync(client, accountId, region, jobId, cancellationToken).ConfigureAwait(false);
        record.ExpectedTasks = expectedTasks;
        return record;
    }
}
