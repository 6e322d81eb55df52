using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Commands.Objects;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Transfer;

namespace S3Replication.Commands.Batch;

/// <summary>
/// Backfills the backup with S3 Batch Replication (S3ReplicateObject): the objects older than the replication rule,
/// which the rule never copies. S3 lists them itself (a generated manifest), or Compare-S3BackupBucket's
/// MissingInBackup results piped in are the manifest.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "S3BackupBatchReplication", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = GeneratedSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class StartS3BackupBatchReplicationCommand : S3BackupCmdlet, IDynamicParameters
{
    private const string GeneratedSet = "Generated";
    private const string ComparedSet = "Compared";
    private readonly List<string> _keys = new();

    /// <summary>The replicated bucket; its replication rules say where each object goes.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";



    [Parameter(ParameterSetName = GeneratedSet)]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    /// <summary>Which objects S3 selects by their replication status: NONE (never replicated, e.g. older than the rule) and FAILED by default.</summary>
    [Parameter(ParameterSetName = GeneratedSet)]
    [ValidateSet("NONE", "FAILED", "COMPLETED", "REPLICA")]
    public string[] ReplicationStatus { get; set; } = { "NONE", "FAILED" };

    [Parameter(ParameterSetName = GeneratedSet)]
    [PointInTime]
    public DateTime? CreatedAfter { get; set; }

    [Parameter(ParameterSetName = GeneratedSet)]
    [PointInTime]
    public DateTime? CreatedBefore { get; set; }

    /// <summary>Compare-S3BackupBucket results; their MissingInBackup keys are replicated.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ComparedSet)]
    [ValidateNotNull]
    public CompareResult? InputObject { get; set; }




    private readonly BatchJobParameters _job = new();

    /// <summary>-WorkBucket, -RoleArn, -Priority, -AccountId, -NoConfirmation: the job's settings, declared once for both Start cmdlets.</summary>
    public object GetDynamicParameters() => _job;

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is { State: "MissingInBackup" } missing)
        {
            if (missing.SourceBucket.Length > 0 && missing.SourceBucket != SourceBucket)
            {
                throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                    $"The compare result for '{missing.Key}' is of s3://{missing.SourceBucket}, not s3://{SourceBucket}: one source bucket per run.", missing);
            }
            _keys.Add(missing.Key);
        }
        return Task.CompletedTask;
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        _job.Require();
        ObjectSelection.RequireBucket(SourceBucket, "source");
        if (ParameterSetName == ComparedSet && _keys.Count == 0)
        {
            await WriteInformationAsync("No MissingInBackup results were piped in: nothing to replicate, no job was created.", "S3Replication.Summary").ConfigureAwait(false);
            return;
        }
        var session = ResolveSession();
        var setup = new BatchJobSetup(session, _job.WorkBucket, _job.RoleArn, WriteWarningAsync);
        if (await new ReplicationService(session.S3).GetRequiringBucketAsync(SourceBucket, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new S3BackupException(ErrorId.RuleNotFound, ErrorCategory.ObjectNotFound,
                $"s3://{SourceBucket} has no replication configuration, so Batch Replication has nowhere to copy to: add the rule first " +
                "(New-S3BackupReplicationRule). Nothing was created.", SourceBucket);
        }
        await setup.RequireBatchTrustAsync(cancellationToken).ConfigureAwait(false);
        var account = await BatchJobs.AccountAsync(session, _job.AccountId, cancellationToken).ConfigureAwait(false);
        var region = await setup.RegionOfAsync(SourceBucket, null, cancellationToken).ConfigureAwait(false);

        var manifestText = string.Concat(_keys.Select(key => $"{SourceBucket},{BatchManifest.EncodeKey(key)}\n"));
        var identity = ParameterSetName == ComparedSet
            ? Hex.Sha256(manifestText)
            : Hex.Sha256(string.Join("\n", Prefix, string.Join(",", ReplicationStatus), CreatedAfter?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                CreatedBefore?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        var runFolder = $"s3replication/batch/{identity.Substring(0, 16)}";
        var selection = ParameterSetName == ComparedSet
            ? $"{_keys.Count:N0} object(s) missing from the backup (piped compare results)"
            : $"the objects of s3://{SourceBucket}/{Prefix} its rules cover with replication status {string.Join(" or ", ReplicationStatus)}" +
              (CreatedAfter is { } after ? $", created after {PointInTime.Describe(after)}" : "") +
              (CreatedBefore is { } before ? $", created before {PointInTime.Describe(before)}" : "");
        if (!await ShouldProcessAsync($"s3://{SourceBucket}", $"Replicate through S3 Batch Operations (S3ReplicateObject in account {account}, {region}): {selection}")
            .ConfigureAwait(false))
        {
            return;
        }

        BatchManifestLocation? manifest = null;
        if (ParameterSetName == ComparedSet)
        {
            var file = Path.GetTempFileName();
            try
            {
                File.WriteAllText(file, manifestText, new UTF8Encoding(false));
                manifest = await setup.UploadManifestAsync(file, runFolder + "/manifest.csv", BatchManifestLocation.Latest, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(file);
            }
        }
        var generator = manifest is null
            ? new BatchManifestGenerator($"arn:aws:s3:::{SourceBucket}", account, ReplicationStatus, CreatedAfter, CreatedBefore, Prefix)
            : null;
        var job = new BatchJobRequest(BatchManifest.ClientRequestToken(identity, SourceBucket, _job.RoleArn, _job.Priority, !_job.NoConfirmation, runFolder),
            _job.RoleArn, _job.Priority, !_job.NoConfirmation, $"S3Replication backfill of s3://{SourceBucket}: {selection}", manifest, generator,
            $"arn:aws:s3:::{_job.WorkBucket}", runFolder, new BatchReplicate());
        await WriteObjectAsync(await setup.CreateJobAsync(account, region, job, manifest is null ? null : _keys.Count, "Batch Replication", SourceBucket,
            cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
