using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Streams a bucket's objects (or versions) page by page, filtered by prefix, wildcards and time.</summary>
[Cmdlet(VerbsCommon.Get, "S3BackupObject", DefaultParameterSetName = LatestSet)]
[OutputType(typeof(S3ObjectRecord))]
public sealed class GetS3BackupObjectCommand : S3BackupCmdlet
{
    private const string LatestSet = "Latest";
    private const string VersionsSet = "AllVersions";
    private const string AsOfSet = "AsOf";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string Bucket { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
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

    [Parameter]
    [PointInTime]
    public DateTime? ModifiedAfter { get; set; }

    [Parameter]
    [PointInTime]
    public DateTime? ModifiedBefore { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = VersionsSet)]
    public SwitchParameter AllVersions { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = AsOfSet)]
    [PointInTime]
    public DateTime? AsOf { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        ObjectSelection.RequireBucket(Bucket, "");
        ObjectSelection.RequirePast(AsOf);
        var filter = new KeyFilter(Include, Exclude, ModifiedAfter, ModifiedBefore, ObjectSelection.MatchFrom(MatchFileName, IgnoreCase));
        var s3 = ResolveSession().S3;
        var lister = new ObjectLister(s3);
        var listing = AllVersions
            ? lister.ListVersionsAsync(Bucket, Prefix, cancellationToken)
            : ObjectSelection.ListAsync(lister, Bucket, Prefix, KeyFilter.All, AsOf, cancellationToken);
        var versions = AllVersions || AsOf is not null;
        var count = new SelectionCount();
        count.Watch(filter);
        await foreach (var item in listing.ConfigureAwait(false))
        {
            count.Listed(item.Key);
            if (filter.Keeps(item))
            {
                count.Kept();
                await WriteObjectAsync(versions ? WithVersionView(item) : item).ConfigureAwait(false);
            }
        }
        if (await ObjectSelection.EmptySelectionWarningAsync(count, s3, Bucket, Prefix, AsOf, Include, Exclude, cancellationToken).ConfigureAwait(false) is { } warning)
        {
            await WriteWarningAsync(warning).ConfigureAwait(false);
        }
    });

    /// <summary>Versions (all of them, or those current at -AsOf) show their version id and whether it is the latest.</summary>
    private static PSObject WithVersionView(S3ObjectRecord item)
    {
        var shown = PSObject.AsPSObject(item);
        shown.TypeNames.Insert(0, typeof(S3ObjectRecord).FullName + "#Version");
        return shown;
    }
}
