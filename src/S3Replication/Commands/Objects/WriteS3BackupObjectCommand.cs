using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Uploads files, or every file under a folder, to a bucket; identical objects are skipped.</summary>
[Cmdlet(VerbsCommunications.Write, "S3BackupObject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(TransferResult), typeof(TransferSummary))]
public sealed class WriteS3BackupObjectCommand : FileTransferCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Files or folders; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    /// <summary>Files or folders taken exactly as written. Piped Get-ChildItem output binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string Bucket { get; set; } = "";

    /// <summary>The folder the keys go under (a '/' is added unless it ends in one), before each file's path relative to the folder given.</summary>
    [Parameter]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    /// <summary>
    /// The ACL uploaded objects get: Auto (the default) sends none where the uploader's account owns the bucket (a HeadBucket
    /// that expects it as the owner is answered) or it enforces bucket-owner ownership, else bucket-owner-full-control;
    /// BucketOwnerFullControl or None always.
    /// </summary>
    [Parameter]
    public AclChoice Acl { get; set; } = AclChoice.Auto;

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long MultipartThreshold { get; set; } = TransferOptions.Default.MultipartThreshold;

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long PartSize { get; set; } = TransferOptions.Default.PartSize;

    private protected override string Activity => "Upload";
    private protected override string DoneAction => "Uploaded";
    private protected override string IamAction => "s3:PutObject";
    private protected override string RunTarget => $"s3://{Bucket}/{Prefix}";
    private protected override string RunAction => "Upload the given files";

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        ObjectSelection.RequireBucket(Bucket, "");
        var session = ResolveSession();
        var writer = Acl == AclChoice.Auto
            ? await BucketOwnership.AccountOfAsync(session, message => _ = WriteVerboseAsync(message), cancellationToken).ConfigureAwait(false)
            : null;
        var (acl, why) = await BucketOwnership.WriterAclAsync(session.S3, Acl, writer, Bucket, cancellationToken).ConfigureAwait(false);
        await WriteVerboseAsync($"Objects uploaded to s3://{Bucket} carry {why}.").ConfigureAwait(false);
        StartTransfers(TransferOptions.Default with { MultipartThreshold = MultipartThreshold, PartSize = PartSize, CannedAcl = acl });
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var path in literal ? LiteralPath : Path)
        {
            IReadOnlyList<string> resolved;
            try
            {
                resolved = await OnPipeline(() => ResolveFileSystemPaths(path, literal)).ConfigureAwait(false);
            }
            catch (S3BackupException failure)
            {
                await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
                continue;
            }
            foreach (var found in resolved)
            {
                var isFolder = Directory.Exists(found);
                var root = isFolder ? found : System.IO.Path.GetDirectoryName(found)!;
                var files = isFolder ? LocalPaths.FilesUnder(found) : new[] { found };
                foreach (var file in files.Where(file => !FileTransfer.IsPartialFile(file)))
                {
                    await UploadAsync(root, file).ConfigureAwait(false);
                }
            }
        }
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => FinishTransfersAsync();

    private async Task UploadAsync(string root, string file)
    {
        Planned();
        var result = new TransferResult { Bucket = Bucket, Path = file, Size = new FileInfo(file) is { Exists: true } info ? info.Length : 0 };
        try
        {
            result.Key = LocalPaths.KeyFor(root, file, Prefix);
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
        await EnqueueAsync(result, (retry, token) => Transfer!.UploadAsync(file, Bucket, result.Key, retry, token)).ConfigureAwait(false);
    }

    /// <summary>
    /// Wildcards expanded (unless literal), relative paths made absolute; only the FileSystem provider has files to
    /// upload.
    /// </summary>
    private IReadOnlyList<string> ResolveFileSystemPaths(string path, bool literal)
    {
        try
        {
            ProviderInfo provider;
            IEnumerable<string> resolved;
            if (literal)
            {
                var single = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
                if (!File.Exists(single) && !Directory.Exists(single))
                {
                    throw new ItemNotFoundException(path);
                }
                resolved = new[] { single };
            }
            else
            {
                resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
            }
            if (provider.Name != "FileSystem")
            {
                throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                    $"{path} is on the {provider.Name} provider; give a file or folder path.", path);
            }
            return resolved.Select(System.IO.Path.GetFullPath).ToList();
        }
        catch (ItemNotFoundException)
        {
            throw new S3BackupException(ErrorId.PathNotFound, ErrorCategory.ObjectNotFound, $"{path} does not exist; give an existing file or folder.", path);
        }
    }
}
