using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Restores objects from the backup bucket to the source bucket: only what differs, in parallel, server-side when possible.</summary>
[Cmdlet(VerbsData.Sync, "S3BackupToSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(SyncResult), typeof(TransferSummary))]
public sealed class SyncS3BackupToSourceCommand : BucketPairCmdlet, IRestoreReport
{
    private const string ObjectsSet = "Objects";

    /// <summary>
    /// Backup objects to restore, e.g. from Get-S3BackupObject; each is copied unless the source already has it. Compare
    /// results are backup objects too: their MissingInSource and Different ones are restored.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    public S3ObjectRecord? InputObject { get; set; }

    /// <summary>The most copies at once; fewer while S3 answers SlowDown. 128 measured fastest with the AWS SDK client here (64: 25% slower).</summary>
    [Parameter]
    [ValidateRange(1, 512)]
    public int MaxConcurrency { get; set; } = 128;

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long MultipartThreshold { get; set; } = CopyOptions.Default.MultipartThreshold;

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long PartSize { get; set; } = CopyOptions.Default.PartSize;

    /// <summary>The part size of streamed (two-session) multipart copies.</summary>
    [Parameter]
    [ValidateRange(5L * 1024 * 1024, 512L * 1024 * 1024)]
    public long StreamPartSize { get; set; } = CopyOptions.Default.StreamPartSize;

    /// <summary>The most bytes the whole run holds in streamed parts.</summary>
    [Parameter]
    [ValidateRange(5L * 1024 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxBufferSize { get; set; } = CopyOptions.Default.BufferLimit;

    /// <summary>SSE-KMS with this key of the source side (key id, ARN or alias) instead of the source bucket's default encryption.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KmsKeyId { get; set; }

    [Parameter]
    public SwitchParameter PreserveEncryption { get; set; }

    /// <summary>The ACL restored objects get: bucket-owner-full-control (so the bucket's owner can use them), or None.</summary>
    [Parameter]
    [ValidateSet("BucketOwnerFullControl", "None")]
    public string Acl { get; set; } = "BucketOwnerFullControl";

    [Parameter]
    public SwitchParameter RestoreArchived { get; set; }

    [Parameter]
    [ValidateRange(1, 365)]
    public int RestoreDays { get; set; } = CopyOptions.Default.RestoreDays;

    [Parameter]
    [ValidateSet("Standard", "Bulk", "Expedited")]
    public string RestoreTier { get; set; } = CopyOptions.Default.RestoreTier;

    /// <summary>Also write a record for each object that needed no copy.</summary>
    [Parameter]
    public SwitchParameter IncludeSkipped { get; set; }

    /// <summary>Write one TransferSummary record at the end instead of a record per object.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>
    /// Restore even though the replication configurations say the two buckets are the other way round; with -Mirror,
    /// also on a source without versioning, where a removal cannot be undone.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Also remove from the source, within -Prefix and the filters, every key the chosen backup state does not have
    /// (with -AsOf: the keys that did not exist then, or were deleted). On a versioned source a removal is a delete marker.
    /// </summary>
    [Parameter(ParameterSetName = BucketsSet)]
    public SwitchParameter Mirror { get; set; }

    /// <summary>The most objects -Mirror may remove in one run; above it nothing is removed.</summary>
    [Parameter(ParameterSetName = BucketsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDelete { get; set; } = MirrorPlan.DefaultMaxDelete;

    private (S3Replication.Session.AwsSession? Backup, S3Replication.Session.AwsSession? Source) _sides;
    private RestoreService? _restore;
    private string _target = "";
    private ProgressReporter? _progress;

    /// <summary>
    /// Plans, asks ShouldProcess and starts the restore service, once: at the first record, or at the end for buckets.
    /// Not earlier, since piped compare results bind -SourceBucket only with the first of them.
    /// </summary>
    private async Task StartOnceAsync(CancellationToken cancellationToken)
    {
        if (_restore is not null)
        {
            return;
        }
        var copy = CopyOptionsFromParameters();
        var (backup, source) = ResolveSides();
        _sides = (backup, source);
        if (ParameterSetName == BucketsSet)
        {
            await RequireOrientationAsync(backup, source, cancellationToken).ConfigureAwait(false);
        }
        if (Mirror)
        {
            await RequireUndoableRemovalsAsync(source, cancellationToken).ConfigureAwait(false);
        }
        _target = SourceBucket;
        var from = BackupDescription;
        var commit = await ShouldProcessAsync($"s3://{SourceBucket}",
            $"Restore what differs from {from}{(Mirror ? " and remove what it does not have" : "")}").ConfigureAwait(false);
        _restore = new RestoreService(backup, source, new RestoreOptions(SourceBucket, CompareBy, MaxConcurrency, commit, copy), this);
        _progress = new ProgressReporter("Restore", _restore.Tally);
        await WriteVerboseAsync($"Restoring {from} to s3://{SourceBucket}: " +
            (_restore.ServerSide ? "server-side copies" : $"streamed through this process (two sessions; at most {MaxBufferSize / (1024 * 1024):N0} MiB buffered)") +
            $", up to {MaxConcurrency} at once, compare by {CompareBy}, encryption: {Describe(copy)}.").ConfigureAwait(false);
    }

    /// <summary>
    /// Swapped bucket names would write into the backup: refused when the replication configurations show the
    /// "backup" replicating to the "source", unless -Force. A configuration that cannot be read says nothing.
    /// </summary>
    private async Task RequireOrientationAsync(S3Replication.Session.AwsSession backup, S3Replication.Session.AwsSession source, CancellationToken cancellationToken)
    {
        var orientation = BucketOrientation.Of(BackupBucket, SourceBucket,
            await ConfigurationOrNullAsync(backup, BackupBucket, cancellationToken).ConfigureAwait(false),
            await ConfigurationOrNullAsync(source, SourceBucket, cancellationToken).ConfigureAwait(false));
        if (orientation == Orientation.Reversed && !Force)
        {
            throw new S3BackupException(ErrorId.BucketsReversed, ErrorCategory.InvalidArgument,
                $"s3://{BackupBucket} replicates to s3://{SourceBucket}, so '{BackupBucket}' is the source and '{SourceBucket}' its backup: " +
                $"this restore would write into the backup. Swap -BackupBucket and -SourceBucket, or pass -Force if this is really meant. Nothing was changed.",
                BackupBucket);
        }
        await WriteVerboseAsync(orientation switch
        {
            Orientation.AsGiven => $"s3://{SourceBucket} replicates to s3://{BackupBucket}: the restore goes the right way.",
            Orientation.Reversed => $"s3://{BackupBucket} replicates to s3://{SourceBucket}; restoring the other way round as -Force asks.",
            _ => "Neither bucket's replication configuration names the other (or it could not be read); the bucket roles are taken as given.",
        }).ConfigureAwait(false);
    }

    private string BackupDescription => ParameterSetName == BucketsSet
        ? $"s3://{BackupBucket}/{Prefix}" + (AsOf is { } moment ? $" as of {PointInTime.Describe(moment)}" : "")
        : InputObject is CompareResult ? "the piped compare results (MissingInSource and Different)" : "the piped backup objects";

    /// <summary>-Mirror removes with delete markers, which can be removed again; without versioning a removal is final.</summary>
    private async Task RequireUndoableRemovalsAsync(S3Replication.Session.AwsSession source, CancellationToken cancellationToken)
    {
        var versioning = await new ReplicationService(source.S3).GetVersioningAsync(SourceBucket, cancellationToken).ConfigureAwait(false);
        if (versioning == "Enabled")
        {
            return;
        }
        if (!Force)
        {
            throw new S3BackupException(ErrorId.MirrorUnversionedSource, ErrorCategory.InvalidOperation,
                $"s3://{SourceBucket} has versioning {(versioning == "Off" ? "never enabled" : versioning.ToLowerInvariant())}, so -Mirror's removals could not be undone. " +
                $"Enable versioning on it (New-S3BackupReplicationRule -EnableVersioning does), or pass -Force to remove for good. Nothing was changed.", SourceBucket);
        }
        await WriteWarningAsync($"s3://{SourceBucket} is not versioned: -Mirror's removals are permanent (-Force).").ConfigureAwait(false);
    }

    private static async Task<Amazon.S3.Model.ReplicationConfiguration?> ConfigurationOrNullAsync(S3Replication.Session.AwsSession session, string bucket,
        CancellationToken cancellationToken)
    {
        try
        {
            return await new ReplicationService(session.S3).GetAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (S3BackupException)
        {
            return null;
        }
    }

    private CopyOptions CopyOptionsFromParameters()
    {
        if (KmsKeyId is not null && PreserveEncryption)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                "-KmsKeyId picks a key of the source side and -PreserveEncryption keeps the backup's: give one of them, not both.", KmsKeyId);
        }
        if (StreamPartSize > MaxBufferSize)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"-StreamPartSize {StreamPartSize:N0} does not fit -MaxBufferSize {MaxBufferSize:N0}: a streamed part is held in memory whole.", StreamPartSize);
        }
        return new CopyOptions
        {
            MultipartThreshold = MultipartThreshold,
            PartSize = PartSize,
            StreamPartSize = StreamPartSize,
            BufferLimit = MaxBufferSize,
            PartConcurrency = Math.Min(8, MaxConcurrency),
            Encryption = KmsKeyId is not null ? EncryptionMode.KmsKey : PreserveEncryption ? EncryptionMode.Preserve : EncryptionMode.SourceDefault,
            KmsKeyId = KmsKeyId,
            CannedAcl = ObjectAcl.FromParameter(Acl),
            RestoreArchived = RestoreArchived,
            RestoreDays = RestoreDays,
            RestoreTier = RestoreTier,
        };
    }

    private static string Describe(CopyOptions copy) => copy.Encryption switch
    {
        EncryptionMode.KmsKey => $"SSE-KMS with key {copy.KmsKeyId}",
        EncryptionMode.Preserve => "as in the backup (method and KMS key id)",
        _ => "the source bucket's default",
    };

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is null)
        {
            return;
        }
        await StartOnceAsync(cancellationToken).ConfigureAwait(false);
        await ThrowIfStoppedAsync().ConfigureAwait(false);
        await PerItemAsync(() => RestorePipedAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Ends the run (a terminating error) once the first copies were all denied the same permission, after the copies in flight.</summary>
    private async Task ThrowIfStoppedAsync()
    {
        if (_restore!.StopError is { } stop)
        {
            await _restore.CompleteAsync().ConfigureAwait(false);
            await ReportSummaryAsync(RunSummary(stopped: true), Summary).ConfigureAwait(false);
            _restore.Dispose();
            throw stop;
        }
    }

    private Task RestorePipedAsync(CancellationToken cancellationToken)
    {
        if (InputObject is CompareResult compared)
        {
            if (compared.SourceBucket.Length > 0 && compared.SourceBucket != _target)
            {
                throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                    $"The compare result for '{compared.Key}' is of s3://{compared.SourceBucket}, but this restore writes into s3://{_target}: " +
                    "restore each source bucket's results in a pipeline of their own. It was left alone.", compared);
            }
            if (!compared.BackupHasWhatSourceLacks)
            {
                return Task.CompletedTask;   // MissingInBackup and Equal: nothing to restore
            }
        }
        return RestoreOneAsync(InputObject!, cancellationToken);
    }

    private Task RestoreOneAsync(S3ObjectRecord item, CancellationToken cancellationToken)
    {
        ObjectSelection.RequireBucket(item);
        if (item.Bucket == _target)
        {
            throw new S3BackupException(ErrorId.SameBucket, ErrorCategory.InvalidArgument,
                $"The piped object '{item.Key}' is already in s3://{_target}, the bucket to restore into: pipe objects of the backup bucket. It was left alone.", item);
        }
        return _restore!.RestoreRecordAsync(item, cancellationToken);
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (_restore is null && ParameterSetName != BucketsSet)
        {
            return;   // nothing was piped in
        }
        await StartOnceAsync(cancellationToken).ConfigureAwait(false);
        var mirror = Mirror ? new MirrorPlan(MaxDelete) : null;
        if (mirror is not null)
        {
            await PreflightMirrorAsync(cancellationToken).ConfigureAwait(false);
        }
        if (ParameterSetName == BucketsSet)
        {
            await _restore!.RestorePlanAsync(Plan(_sides.Backup!, _sides.Source!, cancellationToken), mirror, cancellationToken).ConfigureAwait(false);
            await WarnIfNothingSelectedAsync().ConfigureAwait(false);
        }
        await _restore!.CompleteAsync().ConfigureAwait(false);
        await ThrowIfStoppedAsync().ConfigureAwait(false);
        if (mirror is not null)
        {
            await RemoveAsync(mirror, cancellationToken).ConfigureAwait(false);
        }
        await WriteProgressAsync(_progress!.Completed()).ConfigureAwait(false);
        if (_restore.SlowDownSummary() is { } slowed)
        {
            await WriteVerboseAsync(slowed).ConfigureAwait(false);
        }
        if (!_restore.ServerSide && _restore.Buffers.PeakInUse > 0)
        {
            await WriteVerboseAsync($"Streamed parts held at most {_restore.Buffers.PeakInUse / (1024 * 1024.0):N1} MiB at once (limit {MaxBufferSize / (1024 * 1024):N0} MiB).")
                .ConfigureAwait(false);
        }
        await ReportSummaryAsync(RunSummary(stopped: false), Summary).ConfigureAwait(false);
        _restore.Dispose();
    }

    /// <summary>
    /// A refused -Mirror must change nothing, and whether it is refused depends on the whole plan: so the keys are
    /// listed once first, comparing nothing, and a refusal ends the run before the first copy.
    /// </summary>
    private async Task PreflightMirrorAsync(CancellationToken cancellationToken)
    {
        var preflight = new MirrorPlan(MaxDelete);
        await foreach (var item in Plan(_sides.Backup!, _sides.Source!, cancellationToken, keysOnly: true).ConfigureAwait(false))
        {
            preflight.Observe(item);
        }
        try
        {
            preflight.Release(BackupDescription, SourceBucket);
        }
        catch (S3BackupException)
        {
            _restore!.Dispose();
            throw;
        }
    }

    /// <summary>-Mirror's removals: only after every copy has finished, and all or none (<see cref="MirrorPlan.Release"/>).</summary>
    private async Task RemoveAsync(MirrorPlan mirror, CancellationToken cancellationToken)
    {
        IReadOnlyList<S3ObjectRecord> removals;
        try
        {
            removals = mirror.Release(BackupDescription, SourceBucket);
        }
        catch (S3BackupException)
        {
            await ReportSummaryAsync(RunSummary(stopped: true), Summary).ConfigureAwait(false);
            _restore!.Dispose();
            throw;
        }
        await WriteVerboseAsync($"-Mirror: {removals.Count:N0} object(s) of s3://{SourceBucket} are not in {BackupDescription}.").ConfigureAwait(false);
        await _restore!.RemoveAsync(removals, cancellationToken).ConfigureAwait(false);
        await _restore.CompleteAsync().ConfigureAwait(false);
        await ThrowIfStoppedAsync().ConfigureAwait(false);
    }

    private TransferSummary RunSummary(bool stopped) => _restore!.Tally.ToSummary("Restore", $"s3://{SourceBucket}", stopped);

    private protected override string? DescribeStop() => _restore is null ? null
        : RunSummary(stopped: true).Text + ". Running the same command again copies the rest; what was copied is skipped.";

    async Task IRestoreReport.OutcomeAsync(RestoreOutcome outcome)
    {
        if (outcome.Failure is { } failure)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        }
        if (!Summary && (outcome.Action != SyncAction.Skipped || IncludeSkipped))
        {
            await WriteObjectAsync(new SyncResult
            {
                Key = outcome.Item.Key,
                VersionId = outcome.Item.VersionId,
                Action = outcome.Action.ToString(),
                Reason = outcome.Reason?.ToString(),
                Size = outcome.Item.Size,
                Bytes = outcome.Bytes,
                Duration = outcome.Duration,
                Error = outcome.Failure?.Message,
            }).ConfigureAwait(false);
        }
        if (_progress!.Due() is { } progress)
        {
            await WriteProgressAsync(progress).ConfigureAwait(false);
        }
    }

    Task IRestoreReport.NoteAsync(string message) => WriteVerboseAsync(message);

    protected override void StopProcessing()
    {
        base.StopProcessing();
        _restore?.Dispose();
    }
}
