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

/// <summary>Copy or skip, and why.</summary>
internal readonly record struct RestoreDecision(bool Copy, SyncReason Reason)
{
    public static RestoreDecision CopyBecause(SyncReason reason) => new(true, reason);
    public static RestoreDecision SkipBecause(SyncReason reason) => new(false, reason);
}

/// <summary>
/// The restore's one decision, for planned listings and piped records alike. Pure: it sees the backup object and
/// what the source holds under its key (null: nothing), nothing else.
/// </summary>
internal static class RestoreDecider
{
    /// <summary>
    /// ETags are compared as S3 reports them (quotes and case ignored). A multipart ETag ("…-N") depends on the part
    /// size used for the upload, so the same content can carry different ETags: such a pair counts as different and
    /// is copied again. A restore never skips an object it cannot prove equal.
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
            return RestoreDecision.CopyBecause(SyncReason.SizeDiffers);
        }
        if (mode == CompareMode.Size)
        {
            return RestoreDecision.SkipBecause(SyncReason.Equal);
        }
        if (string.IsNullOrEmpty(backup.ETag) || string.IsNullOrEmpty(source.ETag))
        {
            return RestoreDecision.CopyBecause(SyncReason.Unverifiable);
        }
        return string.Equals(NormalizeETag(backup.ETag), NormalizeETag(source.ETag), StringComparison.OrdinalIgnoreCase)
            ? RestoreDecision.SkipBecause(SyncReason.Equal)
            : RestoreDecision.CopyBecause(SyncReason.ETagDiffers);
    }

    public static string NormalizeETag(string? etag) => (etag ?? "").Trim().Trim('"');
}
