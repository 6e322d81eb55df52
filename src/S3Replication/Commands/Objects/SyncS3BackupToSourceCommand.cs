using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Restores objects from the backup bucket to the source bucket: only what differs, in parallel, server-side when possible.</summary>
[Cmdlet(VerbsData.Sync, "S3BackupToSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(SyncResult))]
public sealed class SyncS3BackupToSourceCommand : BucketPairCmdlet, IRestoreReport
{
    private const string ObjectsSet = "Objects";

    /// <summary>Backup objects to restore, e.g. from Get-S3BackupObject; each is copied unless the source already has it.</summary>
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

    private (S3Replication.Session.AwsSession? Backup, S3Replication.Session.AwsSession? Source) _sides;
    private RestoreService? _restore;
    private ProgressReporter? _progress;

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        var copy = CopyOptionsFromParameters();
        var (backup, source) = ResolveSides();
        _sides = (backup, source);
        var from = ParameterSetName == BucketsSet ? $"s3://{BackupBucket}/{Prefix}" + (AsOf is null ? "" : $" as of {AsOf:o}") : "the piped backup objects";
        var commit = await ShouldProcessAsync($"s3://{SourceBucket}", $"Restore what differs from {from}").ConfigureAwait(false);
        _restore = new RestoreService(backup, source, new RestoreOptions(SourceBucket, CompareBy, MaxConcurrency, commit, copy), this);
        _progress = new ProgressReporter("Restore", _restore.Tally);
        await WriteVerboseAsync($"Restoring {from} to s3://{SourceBucket}: " +
            (_restore.ServerSide ? "server-side copies" : $"streamed through this process (two sessions; at most {MaxBufferSize / (1024 * 1024):N0} MiB buffered)") +
            $", up to {MaxConcurrency} at once, compare by {CompareBy}, encryption: {Describe(copy)}.").ConfigureAwait(false);
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

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        InputObject is { } item ? PerItemAsync(() =>
        {
            ObjectSelection.RequireBucket(item);
            return _restore!.RestoreRecordAsync(item, cancellationToken);
        }) : Task.CompletedTask;

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == BucketsSet)
        {
            await _restore!.RestorePlanAsync(Plan(_sides.Backup!, _sides.Source!, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        await _restore!.CompleteAsync().ConfigureAwait(false);
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
        await WriteVerboseAsync(_restore.Tally.Summary()).ConfigureAwait(false);
        _restore.Dispose();
    }

    async Task IRestoreReport.OutcomeAsync(RestoreOutcome outcome)
    {
        if (outcome.Failure is { } failure)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        }
        if (outcome.Action != SyncAction.Skipped || IncludeSkipped)
        {
            await WriteObjectAsync(new SyncResult
            {
                Key = outcome.Item.Key,
                VersionId = outcome.Item.VersionId,
                Action = outcome.Action.ToString(),
                Reason = outcome.Reason?.ToString(),
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
