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
    private const string ObjectsSet = "Objects";
    private readonly List<S3ObjectRecord> _piped = new();

    /// <summary>
    /// Backup objects to restore (e.g. from Get-S3BackupObject): each is pinned to its version (the current one, by a
    /// HEAD, where the record names none) and kept when the source lacks it or differs.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    public S3ObjectRecord? InputObject { get; set; }

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

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is { } item)
        {
            ObjectSelection.RequireBucket(item);
            _piped.Add(item);
        }
        return Task.CompletedTask;
    }

    /// <summary>What the job restores from, for messages and its description.</summary>
    private string From => ParameterSetName == BucketsSet
        ? $"s3://{BackupBucket}/{Prefix} as of {PointInTime.Describe(AsOf!.Value)}"
        : $"{_piped.Count:N0} piped backup object(s) of s3://{string.Join(", s3://", _piped.Select(item => item.Bucket).Distinct())}";

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == ObjectsSet && _piped.Count == 0)
        {
            return;
        }
        BatchJobSetup.RequireRoleArn(RoleArn);
        ObjectSelection.RequireBucket(WorkBucket, "work");
        var (backup, source) = ResolveSides();
        var setup = new BatchJobSetup(source, WorkBucket, RoleArn, WriteWarningAsync);
        await setup.RequireBatchTrustAsync(cancellationToken).ConfigureAwait(false);
        var account = await BatchJobs.AccountAsync(source, AccountId, cancellationToken).ConfigureAwait(false);
        var region = await setup.RegionOfAsync(SourceBucket, cancellationToken).ConfigureAwait(false);
        // Every manifest row names a version, so the backup is listed by version: as of -AsOf, or of now.
        if (ParameterSetName == BucketsSet)
        {
            AsOf ??= DateTime.UtcNow;
        }

        var manifestFile = Path.GetTempFileName();
        try
        {
            var copies = ParameterSetName == BucketsSet ? CopiesOf(Plan(backup, source, cancellationToken)) : PipedCopiesAsync(backup, source, cancellationToken);
            var plan = await WriteManifestAsync(copies, manifestFile, cancellationToken).ConfigureAwait(false);
            if (ParameterSetName == BucketsSet)
            {
                await WarnIfNothingSelectedAsync().ConfigureAwait(false);
            }
            if (plan.LargeObjects.Count > 0)
            {
                await WriteWarningAsync(string.Format(CultureInfo.InvariantCulture,
                    "{0:N0} object(s) above 5 GiB, the largest Batch Operations copies, are left out of the job ({1}{2}). Copy them here with: " +
                    "Get-S3BackupObject -Bucket {3} -Prefix <key> | Sync-S3BackupToSource -SourceBucket {4} (multipart copies)",
                    plan.LargeCount, string.Join(", ", plan.LargeObjects), plan.LargeCount > plan.LargeObjects.Count ? ", ..." : "",
                    ParameterSetName == BucketsSet ? BackupBucket : _piped[0].Bucket, SourceBucket))
                    .ConfigureAwait(false);
            }
            if (plan.Objects == 0)
            {
                await WriteInformationAsync($"Nothing to restore: s3://{SourceBucket} already has everything in {From}. No job was created.",
                    "S3Replication.Summary").ConfigureAwait(false);
                return;
            }
            var runFolder = $"s3replication/batch/{plan.Sha256.Substring(0, 16)}";
            var description = $"S3Replication restore of {From} to s3://{SourceBucket}";
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
            var record = await setup.CreateJobAsync(account, region, job, plan.Objects, "Batch Operations", SourceBucket, cancellationToken).ConfigureAwait(false);
            await WriteVerboseAsync($"Created job {record.JobId}: {what}.").ConfigureAwait(false);
            await WriteObjectAsync(record).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(manifestFile);
        }
    }

    private sealed record ManifestPlan(long Objects, long Bytes, string Sha256, long LargeCount, IReadOnlyList<string> LargeObjects);

    private static async IAsyncEnumerable<S3ObjectRecord> CopiesOf(IAsyncEnumerable<PlanItem> plan)
    {
        await foreach (var item in plan.ConfigureAwait(false))
        {
            if (item is { Backup: { } copy, Decision.Copy: true })
            {
                yield return copy;
            }
        }
    }

    /// <summary>The piped objects the source lacks or holds differently, each pinned to the version a HEAD finds.</summary>
    private async IAsyncEnumerable<S3ObjectRecord> PipedCopiesAsync(AwsSession backup, AwsSession source,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var check = new ContentCheck(backup.S3, source.S3, SourceBucket, CompareBy);
        foreach (var item in _piped.Where(item => !item.IsDeleteMarker))
        {
            GetObjectMetadataResponse head;
            try
            {
                head = await RetryPolicies.S3.RunAsync(token => backup.S3.GetObjectMetadataAsync(
                    new GetObjectMetadataRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId }, token), cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception error)
            {
                throw AwsErrors.ForS3(error, "s3:GetObject", $"arn:aws:s3:::{item.Bucket}/{item.Key}", $"Reading the piped backup object {item}", item);
            }
            var pinned = new S3ObjectRecord
            {
                Bucket = item.Bucket, Key = item.Key, VersionId = string.IsNullOrEmpty(head.VersionId) ? item.VersionId : head.VersionId,
                Size = head.ContentLength, ETag = head.ETag, LastModified = head.LastModified?.ToUniversalTime(), StorageClass = item.StorageClass,
            };
            var current = CompareBy == CompareMode.Always ? null
                : await RetryPolicies.S3.RunAsync(token => source.S3.RecordOrNullAsync(SourceBucket, item.Key, token), cancellationToken).ConfigureAwait(false);
            var decision = await check.DecideAsync(pinned, current, cancellationToken).ConfigureAwait(false);
            if (decision.Copy)
            {
                yield return pinned;
            }
        }
    }

    /// <summary>The manifest rows of what differs, written to a local file as the plan streams by, with its SHA-256.</summary>
    private async Task<ManifestPlan> WriteManifestAsync(IAsyncEnumerable<S3ObjectRecord> copies, string path, CancellationToken cancellationToken)
    {
        long objects = 0, bytes = 0, largeCount = 0;
        var large = new List<string>();
        using var sha = SHA256.Create();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            await foreach (var copy in copies.ConfigureAwait(false))
            {
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
        return new ManifestPlan(objects, bytes, Hex.Of(sha.Hash!), largeCount, large);
    }
}
