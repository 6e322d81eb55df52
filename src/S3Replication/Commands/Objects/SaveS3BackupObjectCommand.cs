using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Downloads objects to a local folder, each key to the same relative path, refusing keys that would escape it.</summary>
[Cmdlet(VerbsData.Save, "S3BackupObject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ObjectsSet)]
[OutputType(typeof(TransferResult), typeof(TransferSummary))]
public sealed class SaveS3BackupObjectCommand : FileTransferCmdlet
{
    private const string ObjectsSet = "Objects";
    private const string BucketSet = "Bucket";

    /// <summary>Objects to download, e.g. from Get-S3BackupObject (with -AsOf for the versions of a moment).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    public S3ObjectRecord? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = BucketSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string Bucket { get; set; } = "";

    [Parameter]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Include { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Exclude { get; set; }

    /// <summary>Match -Include and -Exclude against the file name (the part of the key after the last '/') instead of the whole key.</summary>
    [Parameter]
    public SwitchParameter MatchFileName { get; set; }

    /// <summary>Match -Include and -Exclude regardless of case.</summary>
    [Parameter]
    public SwitchParameter IgnoreCase { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Overwrite files that exist and differ (identical files are always skipped).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override string Activity => "Download";
    private protected override string DoneAction => "Downloaded";
    private protected override string IamAction => "s3:GetObject";
    private protected override string RunTarget => _root;
    private protected override string RunAction => ParameterSetName == BucketSet ? $"Download s3://{Bucket}/{Prefix}" : "Download the piped objects";

    private string _root = "";

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _root = Path.GetFullPath(await OnPipeline(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination)).ConfigureAwait(false));
        if (File.Exists(_root))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"-Destination {_root} is a file; give a folder (it is created if missing).", Destination);
        }
        if (ParameterSetName == BucketSet)
        {
            ObjectSelection.RequireBucket(Bucket, "");
        }
        StartTransfers(TransferOptions.Default);
    }

    /// <summary>The parameters that select the keys of a whole bucket: refused with piped objects (<see cref="PipedSelection"/>).</summary>
    private static readonly string[] BucketSelection = { nameof(Prefix), nameof(Include), nameof(Exclude), nameof(MatchFileName), nameof(IgnoreCase) };

    private bool _firstRowSeen;

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is not { } item)
        {
            return Task.CompletedTask;
        }
        if (!_firstRowSeen)
        {
            _firstRowSeen = true;
            PipedSelection.Refuse(MyInvocation, BucketSelection, "Get-S3BackupObject");
        }
        return SaveAsync(item);
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == BucketSet)
        {
            var s3 = ResolveSession().S3;
            var lister = new ObjectLister(s3);
            var filter = new KeyFilter(Include, Exclude, match: ObjectSelection.MatchFrom(MatchFileName, IgnoreCase));
            var count = new SelectionCount();
            count.Watch(filter);
            await foreach (var item in ObjectSelection.ListAsync(lister, Bucket, Prefix, filter, null, cancellationToken, count).ConfigureAwait(false))
            {
                await SaveAsync(item).ConfigureAwait(false);
            }
            AllPlanned();
            if (await ObjectSelection.EmptySelectionWarningAsync(count, s3, Bucket, Prefix, null, Include, Exclude, cancellationToken).ConfigureAwait(false) is { } warning)
            {
                await WriteWarningAsync(warning).ConfigureAwait(false);
            }
        }
        await FinishTransfersAsync().ConfigureAwait(false);
    }

    private async Task SaveAsync(S3ObjectRecord item)
    {
        Planned();
        var result = new TransferResult { Bucket = item.Bucket, Key = item.Key, VersionId = item.VersionId, Size = item.Size };
        if (item.IsDeleteMarker || LocalPaths.IsFolderMarker(item.Key))
        {
            await SkipAsync(result, item.IsDeleteMarker ? TransferReason.DeleteMarker : TransferReason.FolderMarker).ConfigureAwait(false);
            return;
        }
        try
        {
            ObjectSelection.RequireBucket(item);
            result.Path = LocalPaths.FileFor(_root, item.Key, LocalPaths.OnWindows);
            LocalPaths.RequireNoLinks(_root, result.Path, item.Key);
        }
        catch (S3BackupException refused)
        {
            await FailAsync(result, refused).ConfigureAwait(false);
            return;
        }
        if (!await ShouldTransferAsync(result).ConfigureAwait(false))
        {
            return;
        }
        await EnqueueAsync(result, (retry, token) => Transfer!.DownloadAsync(item, result.Path, Force, retry, token)).ConfigureAwait(false);
    }
}
