using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// What <c>-Mirror</c> removes from the source: every key the decision says to remove (only the source has it, within
/// the prefix and filters; with -AsOf, the keys that did not exist then or whose current version was a delete marker;
/// piped rows that name a removal). It only watches the decisions go by; the removals are released, all or none, once
/// every key has been seen, and never when that looks like a mistake. Pure: the sink does the deleting.
/// </summary>
internal sealed class MirrorPlan
{
    /// <summary>The default -MaxDelete: a bad processing run's worth of files, well short of a whole bucket.</summary>
    public const int DefaultMaxDelete = 1000;

    private readonly List<S3ObjectRecord> _removals = new();
    private readonly int _maxDelete;
    private readonly EmptyBackup _emptyBackup;

    public MirrorPlan(int maxDelete, EmptyBackup emptyBackup = EmptyBackup.Refuse) => (_maxDelete, _emptyBackup) = (maxDelete, emptyBackup);

    public long BackupObjects { get; private set; }
    public long SourceObjects { get; private set; }
    public long Removals { get; private set; }

    /// <summary>Whether the backup side selected nothing while the source has objects: every one of them is a removal.</summary>
    public bool RemovesWholeSelection => BackupObjects == 0 && SourceObjects > 0;

    public void Observe(Decided item) =>
        Observe(item.Candidate.Backup is { IsDeleteMarker: false }, item.Candidate.Source, item.Decision.Verdict == Verdict.Remove && item.Failure is null);

    /// <summary>One key: whether the backup state has an object, the source's object (null: none), and whether it is to be removed.</summary>
    public void Observe(bool inBackup, S3ObjectRecord? source, bool remove)
    {
        if (inBackup)
        {
            BackupObjects++;
        }
        if (source is null)
        {
            return;
        }
        SourceObjects++;
        if (remove)
        {
            Removals++;
            // Past the limit the run is refused anyway: count, but hold no more keys than could be removed.
            if (_removals.Count < _maxDelete)
            {
                _removals.Add(source);
            }
        }
    }

    /// <summary>
    /// The keys to remove, once the plan is complete; or the refusal, with nothing removed: the backup side empty
    /// while the source is not (a wrong bucket, prefix or moment), or more removals than <c>-MaxDelete</c>.
    /// </summary>
    public IReadOnlyList<S3ObjectRecord> Release(string backupDescription, string sourceBucket)
    {
        if (RemovesWholeSelection && _emptyBackup != EmptyBackup.Allow)
        {
            var way = _emptyBackup == EmptyBackup.RefuseFinal
                ? string.Format(CultureInfo.InvariantCulture, "-Force does not allow it here: s3://{0} is not versioned, so the removals could not be " +
                    "undone. Enable versioning on it first, or remove those objects yourself once you have checked them.", sourceBucket)
                : string.Format(CultureInfo.InvariantCulture, "If the backup state really has none of these keys (objects only the source has, such as " +
                    "a bad run's uploads under a prefix of their own), add -Force to remove them all (still at most -MaxDelete {0:N0}); " +
                    "-Force -WhatIf lists them first.", _maxDelete);
            throw new S3BackupException(ErrorId.MirrorBackupEmpty, ErrorCategory.InvalidOperation,
                string.Format(CultureInfo.InvariantCulture,
                    "-Mirror would remove all {0:N0} object(s) of s3://{1} in the selection, because {2} selected nothing: a wrong bucket, " +
                    "prefix, filter or -AsOf? Nothing was removed. {3}", SourceObjects, sourceBucket, backupDescription, way), sourceBucket);
        }
        if (Removals > _maxDelete)
        {
            throw new S3BackupException(ErrorId.MirrorTooManyRemovals, ErrorCategory.LimitsExceeded,
                string.Format(CultureInfo.InvariantCulture,
                    "-Mirror would remove {0:N0} object(s) from s3://{1}, more than -MaxDelete {2:N0}. Nothing was removed. Check the list " +
                    "with -WhatIf, then pass -MaxDelete {0} to allow it.", Removals, sourceBucket, _maxDelete), sourceBucket);
        }
        return _removals;
    }
}

/// <summary>What -Mirror does when the backup side selects nothing while the source has objects.</summary>
internal enum EmptyBackup
{
    /// <summary>Refused: a wrong bucket, prefix, filter or moment is the likelier reason (the refusal says -Force allows it).</summary>
    Refuse,

    /// <summary>Refused even with -Force: the source is not versioned, so the removals could not be undone.</summary>
    RefuseFinal,

    /// <summary>-Force on a versioned source: every source object of the selection is removed (junk under a prefix the backup never had).</summary>
    Allow,
}
