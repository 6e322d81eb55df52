using System;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>What a restore did, or would do, with one object; the names are SyncResult.Action's.</summary>
internal enum SyncAction
{
    Copied,
    Skipped,
    WouldCopy,
    Failed,
    NeedsRestore,

    /// <summary>-Mirror removed the key from the source (a delete marker on a versioned bucket).</summary>
    Deleted,
    WouldDelete,
}

/// <summary>Why; the names are SyncResult.Reason's.</summary>
internal enum SyncReason
{
    /// <summary>The source has no object under the key.</summary>
    Missing,
    SizeDiffers,
    ETagDiffers,

    /// <summary>The sizes match but an ETag is unknown (a record from elsewhere), so equality cannot be proven.</summary>
    Unverifiable,

    /// <summary>-CompareBy Always.</summary>
    Always,
    Equal,
    ChecksumEqual,
    ChecksumDiffers,

    /// <summary>-Mirror: the chosen backup state has no object under the key.</summary>
    NotInBackup,

    /// <summary>A delete marker is not an object: nothing to restore.</summary>
    DeleteMarker,
    Archived,
    RestoreStarted,
    RestoreInProgress,
}

/// <summary>How a key of the merge-join stands between the backup and the source.</summary>
internal enum PlanState
{
    MissingInSource,
    MissingInBackup,
    Different,
    Equal,
}

/// <summary>What a comparison rested on; CompareResult.Reason's names.</summary>
internal enum ComparisonBasis
{
    None,
    Size,
    ETag,
    Checksum,

    /// <summary>Neither ETags nor checksums could tell: the object counts as different and is copied.</summary>
    Unverifiable,
}

/// <summary>
/// Copy or skip, why, and on what basis; or pending, when the listings cannot tell and the objects' checksums must
/// be read (<see cref="ContentCheck"/>).
/// </summary>
internal readonly record struct RestoreDecision(bool Copy, SyncReason Reason, ComparisonBasis Basis = ComparisonBasis.None, bool Pending = false)
{
    public static RestoreDecision CopyBecause(SyncReason reason, ComparisonBasis basis = ComparisonBasis.None) => new(true, reason, basis);
    public static RestoreDecision SkipBecause(SyncReason reason, ComparisonBasis basis = ComparisonBasis.None) => new(false, reason, basis);

    /// <summary>Same size, and the ETags cannot settle it: a HEAD of each side decides. Copy until it has.</summary>
    public static readonly RestoreDecision NeedsContentCheck = new(true, SyncReason.Unverifiable, ComparisonBasis.Unverifiable, Pending: true);
}

/// <summary>
/// The restore's one decision, for planned listings and piped records alike. Pure: it sees the backup object and
/// what the source holds under its key (null: nothing), nothing else.
/// </summary>
internal static class RestoreDecider
{
    /// <summary>
    /// ETags are compared as S3 reports them (quotes and case ignored). With Auto (the default) equal ETags settle it
    /// and different ones of the same size are left to the objects' checksums (<see cref="ContentComparer"/>): an
    /// SSE-KMS or multipart ETag can differ for the same content. With ETag, a differing ETag is a difference. A
    /// restore never skips an object it cannot prove equal.
    /// </summary>
    public static RestoreDecision Decide(S3ObjectRecord backup, S3ObjectRecord? source, CompareMode mode)
    {
        if (backup.IsDeleteMarker)
        {
            return RestoreDecision.SkipBecause(SyncReason.DeleteMarker);
        }
        if (source is null)
        {
            return RestoreDecision.CopyBecause(SyncReason.Missing);
        }
        if (mode == CompareMode.Always)
        {
            return RestoreDecision.CopyBecause(SyncReason.Always);
        }
        if (backup.Size != source.Size)
        {
            return RestoreDecision.CopyBecause(SyncReason.SizeDiffers, ComparisonBasis.Size);
        }
        if (mode == CompareMode.Size)
        {
            return RestoreDecision.SkipBecause(SyncReason.Equal, ComparisonBasis.Size);
        }
        if (mode == CompareMode.Checksum)
        {
            return RestoreDecision.NeedsContentCheck;
        }
        var known = !string.IsNullOrEmpty(backup.ETag) && !string.IsNullOrEmpty(source.ETag);
        if (known && string.Equals(NormalizeETag(backup.ETag), NormalizeETag(source.ETag), StringComparison.OrdinalIgnoreCase))
        {
            return RestoreDecision.SkipBecause(SyncReason.Equal, ComparisonBasis.ETag);
        }
        if (mode == CompareMode.Auto)
        {
            return RestoreDecision.NeedsContentCheck;
        }
        return known
            ? RestoreDecision.CopyBecause(SyncReason.ETagDiffers, ComparisonBasis.ETag)
            : RestoreDecision.CopyBecause(SyncReason.Unverifiable, ComparisonBasis.Unverifiable);
    }

    public static string NormalizeETag(string? etag) => (etag ?? "").Trim().Trim('"');
}
