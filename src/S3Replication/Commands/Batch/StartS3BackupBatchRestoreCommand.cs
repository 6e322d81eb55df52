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
        BatchJobSetup.RequireRoleArn(RoleArn);
        ObjectSelection.RequireBucket(WorkBucket, "work");
        var (backup, source) = ResolveSides();
        var setup = new BatchJobSetup(source, WorkBucket, RoleArn, WriteWarningAsync);
        await setup.RequireBatchTrustAsync(cancellationToken).ConfigureAwait(false);
        var account = await BatchJobs.AccountAsync(source, AccountId, cancellationToken).ConfigureAwait(false);
        var region = await setup.RegionOfAsync(SourceBucket, cancellationToken).ConfigureAwait(false);
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
            var manifest = await setup.UploadManifestAsync(manifestFile, runFolder + "/manifest.csv", BatchManifestLocation.Versioned, cancellationToken)
                .ConfigureAwait(false);
            var job = new BatchJobRequest(
                BatchManifest.ClientRequestToken(plan.Sha256, SourceBucket, RoleArn, Priority, !NoConfirmation, runFolder),
                RoleArn, Priority, !NoConfirmation, description, manifest, null, $"arn:aws:s3:::{WorkBucket}", runFolder, $"arn:aws:s3:::{SourceBucket}");
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
}
