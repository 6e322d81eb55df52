using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Batch;
using S3Replication.Commands.Objects;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;
using S3Replication.Trust;

namespace S3Replication.Commands.Batch;

/// <summary>
/// Hands a restore to S3 Batch Operations: plans with the same merge-join and decision as Sync-S3BackupToSource,
/// writes the manifest of exactly what differs (each row pinned to its version) to the work bucket, and creates an
/// S3PutObjectCopy job into the source bucket.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "S3BackupBatchRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class StartS3BackupBatchRestoreCommand : BucketPairCmdlet
{
    private const int LargeObjectsShown = 20;

    /// <summary>Where the manifest and the completion report go (s3replication/batch/&lt;run&gt;/).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string WorkBucket { get; set; } = "";

    /// <summary>The role the job runs as: trusted by batchoperations.s3.amazonaws.com, allowed to read the backup and write the source.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string RoleArn { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Priority { get; set; } = 10;

    [Parameter]
    [ValidatePattern("^[0-9]{12}$")]
    public string? AccountId { get; set; }

    /// <summary>Let the job run as soon as it is ready, instead of waiting for Approve-S3BackupBatchJob.</summary>
    [Parameter]
    public SwitchParameter NoConfirmation { get; set; }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (!AwsNames.IsRoleArn(RoleArn))
        {
            throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidArgument,
                $"'{RoleArn}' is not a role ARN (expected arn:aws:iam::<12-digit account>:role/<name>).", RoleArn);
        }
        ObjectSelection.RequireBucket(WorkBucket, "work");
        var (backup, source) = ResolveSides();
        await RequireBatchTrustAsync(source, cancellationToken).ConfigureAwait(false);
        var account = await BatchJobs.AccountAsync(source, AccountId, cancellationToken).ConfigureAwait(false);
        var region = await RegionOfAsync(source, SourceBucket, cancellationToken).ConfigureAwait(false);
        // Every manifest row names a version, so the backup is listed by version: as of -AsOf, or of now.
        AsOf ??= DateTime.UtcNow;

        var manifestFile = Path.GetTempFileName();
        try
        {
            var plan = await WriteManifestAsync(backup, source, manifestFile, cancellationToken).ConfigureAwait(false);
            await WarnIfNothingSelectedAsync().ConfigureAwait(false);
            if (plan.LargeObjects.Count > 0)
            {
                await WriteWarningAsync(string.Format(CultureInfo.InvariantCulture,
                    "{0:N0} object(s) above 5 GiB, the largest Batch Operations copies, are left out of the job ({1}{2}). Copy them here with: " +
                    "Sync-S3BackupToSource -BackupBucket {3} -SourceBucket {4} -Include <key> (multipart copies)",
                    plan.LargeCount, string.Join(", ", plan.LargeObjects), plan.LargeCount > plan.LargeObjects.Count ? ", ..." : "", BackupBucket, SourceBucket))
                    .ConfigureAwait(false);
            }
            if (plan.Objects == 0)
            {
                await WriteInformationAsync($"Nothing to restore: s3://{SourceBucket} already has everything selected in s3://{BackupBucket}/{Prefix}. No job was created.",
                    "S3Replication.Summary").ConfigureAwait(false);
                return;
            }
            var runFolder = $"s3replication/batch/{plan.Sha256.Substring(0, 16)}";
            var description = $"S3Replication restore of s3://{BackupBucket}/{Prefix} as of {PointInTime.Describe(AsOf.Value)} to s3://{SourceBucket}";
            var what = string.Format(CultureInfo.InvariantCulture, "{0:N0} object(s), {1}, copied by an S3PutObjectCopy job in account {2} ({3}) as {4}, " +
                "manifest and report in s3://{5}/{6}/, {7}", plan.Objects, ByteSize.Format(plan.Bytes), account, region, RoleArn, WorkBucket, runFolder,
                NoConfirmation ? "running as soon as it is ready" : "waiting for Approve-S3BackupBatchJob");
            if (!await ShouldProcessAsync($"s3://{SourceBucket}", $"Restore through S3 Batch Operations: {what}").ConfigureAwait(false))
            {
                return;
            }
            var manifest = await UploadManifestAsync(source.S3, manifestFile, runFolder + "/manifest.csv", cancellationToken).ConfigureAwait(false);
            var job = new BatchJobRequest(
                BatchManifest.ClientRequestToken(plan.Sha256, SourceBucket, RoleArn, Priority, !NoConfirmation, runFolder),
                RoleArn, Priority, !NoConfirmation, description, manifest, $"arn:aws:s3:::{WorkBucket}", runFolder, $"arn:aws:s3:::{SourceBucket}");
            using var client = BatchJobs.Client(source, region);
            try
            {
                var jobId = await client.CreateJobAsync(account, job, cancellationToken).ConfigureAwait(false);
                var record = BatchJobs.ToRecord(await client.DescribeJobAsync(account, jobId, cancellationToken).ConfigureAwait(false), account, region);
                record.ExpectedTasks = plan.Objects;
                await WriteVerboseAsync($"Created job {jobId}: {what}.").ConfigureAwait(false);
                await WriteObjectAsync(record).ConfigureAwait(false);
            }
            catch (S3ControlException error)
            {
                throw BatchJobs.Failure(error, $"Creating the Batch Operations job in account {account}", SourceBucket);
            }
        }
        finally
        {
            File.Delete(manifestFile);
        }
    }

    private sealed record ManifestPlan(long Objects, long Bytes, string Sha256, long LargeCount, IReadOnlyList<string> LargeObjects);

    /// <summary>The manifest rows of what differs, written to a local file as the plan streams by, with its SHA-256.</summary>
    private async Task<ManifestPlan> WriteManifestAsync(AwsSession backup, AwsSession source, string path, CancellationToken cancellationToken)
    {
        long objects = 0, bytes = 0, largeCount = 0;
        var large = new List<string>();
        using var sha = SHA256.Create();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            await foreach (var item in Plan(backup, source, cancellationToken).ConfigureAwait(false))
            {
                if (item is not { Backup: { } copy, Decision.Copy: true })
                {
                    continue;
                }
                if (copy.Size > BatchManifest.MaxCopySize)
                {
                    largeCount++;
                    if (large.Count < LargeObjectsShown)
                    {
                        large.Add(copy.Key);
                    }
                    continue;
                }
                var row = Encoding.UTF8.GetBytes(BatchManifest.Row(copy));
                sha.TransformBlock(row, 0, row.Length, null, 0);
                await file.WriteAsync(row, 0, row.Length, cancellationToken).ConfigureAwait(false);
                objects++;
                bytes += copy.Size;
            }
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return new ManifestPlan(objects, bytes, string.Concat(sha.Hash!.Select(value => value.ToString("x2", CultureInfo.InvariantCulture))), largeCount, large);
    }

    /// <summary>
    /// Puts the manifest with SSE-S3 (Batch Operations cannot read a KMS-encrypted CSV manifest, so a work bucket's KMS
    /// default must not apply) and reads it back: the job is created only for a manifest that is there, as written.
    /// A server that offers no SSE-S3 (Ceph RGW without a key backend) gets the manifest without it, and a warning.
    /// </summary>
    private async Task<BatchManifestLocation> UploadManifestAsync(IAmazonS3 s3, string file, string key, CancellationToken cancellationToken)
    {
        try
        {
            PutObjectResponse put;
            try
            {
                put = await PutManifestAsync(s3, file, key, ServerSideEncryptionMethod.AES256, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception refused) when (refused.ErrorCode is "InvalidRequest" or "NotImplemented" or "InvalidArgument")
            {
                await WriteWarningAsync($"s3://{WorkBucket} refused SSE-S3 for the manifest ({refused.ErrorCode}); it is stored with the bucket's default " +
                    "encryption. On AWS, a work bucket whose default is SSE-KMS would make the manifest unreadable to Batch Operations.").ConfigureAwait(false);
                put = await PutManifestAsync(s3, file, key, null, cancellationToken).ConfigureAwait(false);
            }
            var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = WorkBucket, Key = key, VersionId = put.VersionId }, cancellationToken)
                .ConfigureAwait(false);
            if (head.ETag != put.ETag || head.ContentLength != new FileInfo(file).Length)
            {
                throw new S3BackupException(ErrorId.BatchManifestFailed, ErrorCategory.WriteError,
                    $"The manifest s3://{WorkBucket}/{key} did not read back as written (ETag {head.ETag}, {head.ContentLength:N0} bytes). No job was created.", key);
            }
            return new BatchManifestLocation($"arn:aws:s3:::{WorkBucket}/{key}", put.ETag, string.IsNullOrEmpty(put.VersionId) ? null : put.VersionId);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:PutObject", $"arn:aws:s3:::{WorkBucket}/{key}",
                $"Writing the Batch Operations manifest to s3://{WorkBucket}/{key} (no job was created)", WorkBucket);
        }
    }

    private Task<PutObjectResponse> PutManifestAsync(IAmazonS3 s3, string file, string key, ServerSideEncryptionMethod? encryption, CancellationToken cancellationToken) =>
        RetryPolicies.S3.RunAsync(token => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = WorkBucket,
            Key = key,
            FilePath = file,
            ContentType = "text/csv",
            ServerSideEncryptionMethod = encryption,
        }, token), cancellationToken);

    /// <summary>The job must run as a role Batch Operations may assume; a trust policy that cannot be read is said, not guessed.</summary>
    private async Task RequireBatchTrustAsync(AwsSession session, CancellationToken cancellationToken)
    {
        var roleName = RoleArn.Substring(RoleArn.LastIndexOf('/') + 1);
        TrustPolicyDocument policy;
        try
        {
            policy = (await new TrustService(session.Iam, session.KnownIdentity?.Account, TrustService.DefaultSettleDelay).GetAsync(roleName, cancellationToken)
                .ConfigureAwait(false)).Policy;
        }
        catch (S3BackupException error) when (error.ErrorId is ErrorId.AccessDenied)
        {
            await WriteWarningAsync($"The trust policy of {RoleArn} could not be read ({error.Message}); the job fails at once if the role does not trust " +
                $"{BatchJobs.BatchServicePrincipal}.").ConfigureAwait(false);
            return;
        }
        if (!policy.Principals.Any(principal => principal is { Type: "Service", Value: BatchJobs.BatchServicePrincipal, Effect: "Allow", IsNotPrincipal: false }))
        {
            throw new S3BackupException(ErrorId.BatchRoleNotTrusted, ErrorCategory.PermissionDenied,
                $"Role {RoleArn} does not trust {BatchJobs.BatchServicePrincipal}, so Batch Operations cannot run as it. Add it with: " +
                $"Add-BackupRoleTrustPrincipal -RoleName {roleName} -PrincipalArn {BatchJobs.BatchServicePrincipal}. Nothing was created.", RoleArn);
        }
    }

    /// <summary>Jobs run in the source bucket's region; a server that names no location (us-east-1, Ceph RGW) keeps the session's.</summary>
    private static async Task<string> RegionOfAsync(AwsSession session, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var location = (await session.S3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false)).Location?.Value;
            return location switch
            {
                null or "" or "US" => (session.S3ControlSettings ?? session.S3Settings).Region,
                "EU" => "eu-west-1",
                _ => location,
            };
        }
        catch (AmazonS3Exception)
        {
            return (session.S3ControlSettings ?? session.S3Settings).Region;
        }
    }
}
