using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Cmdlets that compare or sync a backup bucket with its source, each side with its own session if needed.</summary>
public abstract class BucketPairCmdlet : S3BackupCmdlet
{
    protected const string BucketsSet = "Buckets";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = BucketsSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BackupBucket { get; set; } = "";

    /// <summary>Bound from piped compare results by property name too.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";

    [Parameter(ParameterSetName = BucketsSet)]
    [AllowEmptyString]
    public string? Prefix { get; set; }

    [Parameter(ParameterSetName = BucketsSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Include { get; set; }

    [Parameter(ParameterSetName = BucketsSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Exclude { get; set; }

    /// <summary>Match -Include and -Exclude against the file name (the part of the key after the last '/') instead of the whole key.</summary>
    [Parameter(ParameterSetName = BucketsSet)]
    public SwitchParameter MatchFileName { get; set; }

    /// <summary>Match -Include and -Exclude regardless of case.</summary>
    [Parameter(ParameterSetName = BucketsSet)]
    public SwitchParameter IgnoreCase { get; set; }

    /// <summary>Compare with (or restore) the backup as it was at this moment (versioned backup bucket).</summary>
    [Parameter(ParameterSetName = BucketsSet)]
    [PointInTime]
    public DateTime? AsOf { get; set; }

    [Parameter]
    public CompareMode CompareBy { get; set; } = CompareMode.Auto;

    /// <summary>The session that reads the backup bucket; by default the cmdlet's session.</summary>
    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? BackupSession { get; set; }

    /// <summary>The session that reads and writes the source bucket; by default the cmdlet's session.</summary>
    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? SourceSession { get; set; }

    internal (AwsSession Backup, AwsSession Source) ResolveSides()
    {
        ObjectSelection.RequireBucket(SourceBucket, "source");
        if (ParameterSetName == BucketsSet)
        {
            ObjectSelection.RequireBucket(BackupBucket, "backup");
            ObjectSelection.RequirePast(AsOf);
            if (BackupBucket == SourceBucket)
            {
                throw new S3BackupException(ErrorId.SameBucket, ErrorCategory.InvalidArgument,
                    $"-BackupBucket and -SourceBucket are both '{SourceBucket}': name the backup bucket and the bucket it backs up. Nothing was changed.",
                    SourceBucket);
            }
        }
        var backup = BackupSession is null ? ResolveSession() : FromRecord(BackupSession);
        var source = SourceSession is null ? ResolveSession() : FromRecord(SourceSession);
        return (backup, source);
    }

    /// <summary>What the backup listing of the last <see cref="Plan"/> gave and kept.</summary>
    private protected SelectionCount BackupSelection { get; } = new();

    /// <summary>
    /// The merge-join of the (filtered) backup and source listings, one key at a time, with the decisions the listings
    /// could not settle settled by the objects' checksums. A <paramref name="keysOnly"/> plan (which keys are where,
    /// nothing compared, nothing counted for the warning) is what -Mirror checks before anything is changed.
    /// </summary>
    internal IAsyncEnumerable<PlanItem> Plan(AwsSession backup, AwsSession source, CancellationToken cancellationToken, bool keysOnly = false)
    {
        var keys = new KeyFilter(Include, Exclude, match: ObjectSelection.MatchFrom(MatchFileName, IgnoreCase));
        if (!keysOnly)
        {
            BackupSelection.Watch(keys);
        }
        var joined = SyncPlanner.Join(
            ObjectSelection.ListAsync(new ObjectLister(backup.S3), BackupBucket, Prefix, keys, AsOf, cancellationToken, keysOnly ? null : BackupSelection),
            ObjectSelection.ListAsync(new ObjectLister(source.S3), SourceBucket, Prefix, keys, asOf: null, cancellationToken),
            keysOnly ? CompareMode.Size : CompareBy);
        return keysOnly ? joined : new ContentCheck(backup.S3, source.S3, SourceBucket, CompareBy).ResolveAsync(joined, cancellationToken);
    }

    /// <summary>After a plan: a warning when the backup side selected nothing and that looks like a mistake.</summary>
    private protected Task WarnIfNothingSelectedAsync() =>
        ObjectSelection.EmptySelectionWarning(BackupSelection, BackupBucket, Prefix, AsOf, Include, Exclude) is { } warning
            ? WriteWarningAsync(warning) : Task.CompletedTask;
}
