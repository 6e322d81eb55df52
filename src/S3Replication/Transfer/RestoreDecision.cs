using System;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>What a restore did, or would do, with one key; the names are SyncResult.Action's.</summary>
internal enum SyncAction
{
    Copied,
    Skipped,
    WouldCopy,
    Failed,
    NeedsRestore,

    /// <summary>Larger than the path the run takes can copy (a Batch Operations copy: 5 GiB).</summary>
    TooLarge,

    /// <summary>-Mirror removed the key from the source (a delete marker on a versioned bucket).</summary>
    Deleted,
    WouldDelete,
}

/// <summary>
/// Why: one vocabulary for Compare-S3BackupBucket's Reason, Sync-S3BackupToSource's and the Batch cmdlets', so one
/// difference has one name everywhere.
/// </summary>
internal enum SyncReason
{
    /// <summary>The source has no object under the key.</summary>
    MissingInSource,

    /// <summary>The chosen backup state has no object under the key (-Mirror removes the source's).</summary>
    MissingInBackup,
    SizeDiffers,
    ETagDiffers,
    ChecksumDiffers,

    /// <summary>The sizes match but neither ETags nor checksums can prove the content equal: a restore copies it.</summary>
    Unverifiable,

    /// <summary>-CompareBy Always.</summary>
    Always,
    SameSize,
    SameETag,
    SameChecksum,

    /// <summary>A delete marker is not an object: nothing to restore.</summary>
    DeleteMarker,

    /// <summary>Neither side has the key any more (a removal row whose key is already gone).</summary>
    NotFound,
    Archived,
    RestoreStarted,
    RestoreInProgress,

    /// <summary>-CompareBy ComputedChecksum: the compute-checksum task of either side failed, or its job reported no checksum for the key.</summary>
    TaskFailed,
}

/// <summary>How a key stands between the backup and the source; CompareResult.State's names.</summary>
internal enum PlanState
{
    MissingInSource,
    MissingInBackup,
    Different,
    Equal,

    /// <summary>-CompareBy ComputedChecksum: in both, the same size, but no checksum could be computed for one side (<see cref="SyncReason.TaskFailed"/>).</summary>
    Unverified,
}

/// <summary>What the decision says to do with a key.</summary>
internal enum Verdict
{
    Copy,
    Skip,

    /// <summary>Archived in the backup: the object must be restored from Glacier before it can be copied.</summary>
    NeedsRestore,

    /// <summary>To be copied, but larger than the path the run takes can copy.</summary>
    TooLarge,

    /// <summary>-Mirror: only the source has the key, so it is removed.</summary>
    Remove,

    /// <summary>Only the source has the key and nothing removes it: a restore leaves it alone.</summary>
    Leave,

    /// <summary>
    /// -CompareBy ComputedChecksum: both sides have the key with the same size; checksums S3 computes from the bytes of both
    /// (the pinned backup version, the source's current object) decide, after the plan.
    /// </summary>
    Verify,
}

/// <summary>A fact the decision needs before it can be made, fetched by <see cref="FactResolver"/>.</summary>
internal enum Need
{
    None,

    /// <summary>What the source holds under the key now (a piped row knows only the backup's side).</summary>
    SourceHead,

    /// <summary>The backup object itself: its version (a Batch manifest pins every row), size and ETag, storage class and restore state.</summary>
    BackupHead,

    /// <summary>Both objects' checksums: same size, and the ETags cannot settle it.</summary>
    Content,
}

/// <summary>Whether an archived object can be read now.</summary>
internal enum ArchiveState
{
    NotRestored,
    RestoreInProgress,
    Restored,
}

/// <summary>What a HEAD of the backup object told.</summary>
internal sealed record BackupHead(string? VersionId, long Size, string? ETag, string? StorageClass, ArchiveState Archive);

/// <summary>
/// One key a restore considers, from whichever plan source: the backup's object (null: the backup state has none) and
/// the source's (null: none), and the facts fetched about them so far.
/// </summary>
internal sealed record Candidate(string Key, S3ObjectRecord? Backup, S3ObjectRecord? Source)
{
    /// <summary>False for a piped row until a HEAD has told what the source holds under the key.</summary>
    public bool SourceKnown { get; init; } = true;

    public BackupHead? BackupHead { get; init; }

    /// <summary>What comparing both objects' HEADs said: SameETag, SameChecksum, ETagDiffers, ChecksumDiffers or Unverifiable.</summary>
    public SyncReason? Content { get; init; }

    /// <summary>The backup object as the copy should read it: pinned to the version a HEAD found, when one was made.</summary>
    public S3ObjectRecord? PinnedBackup => Backup is null || BackupHead is not { } head ? Backup : new S3ObjectRecord
    {
        Bucket = Backup.Bucket,
        Key = Backup.Key,
        VersionId = head.VersionId ?? Backup.VersionId,
        Size = head.Size,
        ETag = head.ETag,
        LastModified = Backup.LastModified,
        StorageClass = head.StorageClass ?? Backup.StorageClass,
        ChecksumAlgorithm = Backup.ChecksumAlgorithm,
    };
}

/// <summary>What the run asks of the decision: how to compare, and what its path can and may do.</summary>
internal sealed record DecisionPolicy(CompareMode Mode)
{
    /// <summary>-Mirror: keys only the source has are removed.</summary>
    public bool Mirror { get; init; }

    /// <summary>The largest object the run's path copies (Batch Operations: 5 GiB); null: no limit.</summary>
    public long? MaxCopySize { get; init; }

    /// <summary>Whether archived objects are told apart (a copy path); a compare does not care.</summary>
    public bool CheckArchive { get; init; } = true;

    /// <summary>Every copy names the version it reads (a Batch manifest): a row without one is pinned by a HEAD.</summary>
    public bool PinVersions { get; init; }
}

/// <summary>A verdict, why, or the fact still needed to reach one.</summary>
internal readonly record struct RestoreDecision(Verdict Verdict, SyncReason Reason, Need Need = Need.None)
{
    public static RestoreDecision Needs(Need need) => new(Verdict.Copy, SyncReason.Unverifiable, need);

    /// <summary>Compare-S3BackupBucket's State for the key.</summary>
    public PlanState StateOf(Candidate candidate) => candidate switch
    {
        { Backup: null } => PlanState.MissingInBackup,
        { Source: null, SourceKnown: true } => PlanState.MissingInSource,
        _ => Verdict is Verdict.Skip ? PlanState.Equal : PlanState.Different,
    };
}

/// <summary>
/// The restore's one decision, for every plan source and every sink: pure, it sees the candidate and the policy and
/// says copy, skip, needs restore, too large, remove or leave — or which fact it needs first.
/// </summary>
internal static class RestoreDecider
{
    private static readonly string[] ArchiveClasses = { "GLACIER", "DEEP_ARCHIVE" };

    /// <summary>
    /// ETags are compared as S3 reports them (quotes and case ignored). With Auto (the default) equal ETags settle it
    /// and different ones of the same size are left to the objects' checksums (<see cref="ContentComparer"/>): an SSE-KMS
    /// or multipart ETag can differ for the same content. A restore never skips an object it cannot prove equal.
    /// </summary>
    public static RestoreDecision Decide(Candidate candidate, DecisionPolicy policy)
    {
        if (candidate.Backup is null)
        {
            return !policy.Mirror ? new(Verdict.Leave, SyncReason.MissingInBackup)
                : !candidate.SourceKnown ? RestoreDecision.Needs(Need.SourceHead)
                : candidate.Source is null ? new(Verdict.Skip, SyncReason.NotFound)
                : new(Verdict.Remove, SyncReason.MissingInBackup);
        }
        if (candidate.Backup.IsDeleteMarker)
        {
            return new(Verdict.Skip, SyncReason.DeleteMarker);
        }
        var compared = Compare(candidate, policy.Mode);
        return compared.Verdict switch
        {
            // The checksum job reads the backup version the plan names: pin it first.
            Verdict.Verify => NeedsPin(candidate, policy) ? RestoreDecision.Needs(Need.BackupHead) : compared,
            Verdict.Copy when compared.Need == Need.None => Copy(candidate, compared.Reason, policy),
            _ => compared,
        };
    }

    /// <summary>A row that must name its backup version (<see cref="DecisionPolicy.PinVersions"/>) but came without one, nor a HEAD that found it.</summary>
    private static bool NeedsPin(Candidate candidate, DecisionPolicy policy) =>
        policy.PinVersions && string.IsNullOrEmpty(candidate.Backup!.VersionId) && candidate.BackupHead is null;

    /// <summary>Copy or skip by content, or the fact still needed to tell.</summary>
    private static RestoreDecision Compare(Candidate candidate, CompareMode mode)
    {
        var backup = candidate.Backup!;
        if (mode == CompareMode.Always)
        {
            return new(Verdict.Copy, SyncReason.Always);
        }
        if (!candidate.SourceKnown)
        {
            return RestoreDecision.Needs(Need.SourceHead);
        }
        if (candidate.Source is not { } source)
        {
            return new(Verdict.Copy, SyncReason.MissingInSource);
        }
        if (string.IsNullOrEmpty(backup.ETag) && candidate.BackupHead is null)
        {
            // A row from a file names the object, not its size and ETag: read them before comparing.
            return RestoreDecision.Needs(Need.BackupHead);
        }
        var size = candidate.BackupHead?.Size ?? backup.Size;
        if (size != source.Size)
        {
            return new(Verdict.Copy, SyncReason.SizeDiffers);
        }
        if (mode == CompareMode.Size)
        {
            return new(Verdict.Skip, SyncReason.SameSize);
        }
        if (mode == CompareMode.ComputedChecksum)
        {
            return new(Verdict.Verify, SyncReason.SameSize);
        }
        if (candidate.Content is { } content)
        {
            return new(content is SyncReason.SameETag or SyncReason.SameChecksum ? Verdict.Skip : Verdict.Copy, content);
        }
        if (mode == CompareMode.Checksum)
        {
            return RestoreDecision.Needs(Need.Content);
        }
        var etag = candidate.BackupHead?.ETag ?? backup.ETag;
        var known = !string.IsNullOrEmpty(etag) && !string.IsNullOrEmpty(source.ETag);
        if (known && string.Equals(ETags.Normalize(etag), ETags.Normalize(source.ETag), StringComparison.OrdinalIgnoreCase))
        {
            return new(Verdict.Skip, SyncReason.SameETag);
        }
        if (mode == CompareMode.Auto)
        {
            return RestoreDecision.Needs(Need.Content);
        }
        return new(Verdict.Copy, known ? SyncReason.ETagDiffers : SyncReason.Unverifiable);
    }

    /// <summary>A key to copy, as far as the run's path can: pinned where it must be, archived objects restored first, sizes in bounds.</summary>
    private static RestoreDecision Copy(Candidate candidate, SyncReason reason, DecisionPolicy policy)
    {
        var backup = candidate.Backup!;
        if (candidate.BackupHead is null && string.IsNullOrEmpty(backup.ETag) && (policy.CheckArchive || policy.MaxCopySize is not null))
        {
            // A row from a file names the object, not its storage class or size: read them before an archive or size rule.
            return RestoreDecision.Needs(Need.BackupHead);
        }
        if (NeedsPin(candidate, policy))
        {
            return RestoreDecision.Needs(Need.BackupHead);
        }
        if (policy.CheckArchive && IsArchived(candidate.BackupHead?.StorageClass ?? backup.StorageClass))
        {
            switch (candidate.BackupHead?.Archive)
            {
                case null:
                    return RestoreDecision.Needs(Need.BackupHead);
                case ArchiveState.NotRestored:
                    return new(Verdict.NeedsRestore, SyncReason.Archived);
                case ArchiveState.RestoreInProgress:
                    return new(Verdict.NeedsRestore, SyncReason.RestoreInProgress);
            }
        }
        var size = candidate.BackupHead?.Size ?? backup.Size;
        return policy.MaxCopySize is { } limit && size > limit ? new(Verdict.TooLarge, reason) : new(Verdict.Copy, reason);
    }

    public static bool IsArchived(string? storageClass) => storageClass is not null && Array.IndexOf(ArchiveClasses, storageClass) >= 0;
}
