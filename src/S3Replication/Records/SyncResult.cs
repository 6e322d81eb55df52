using System;

namespace S3Replication.Records;

/// <summary>
/// What a restore did (or would do) with one key, with everything needed to account for it and to undo it: both
/// buckets, the backup version read, the source version written (or the delete marker -Mirror added), when, and the
/// moment of the backup restored. Rows bind back: piped, or read with Import-Csv or Import-Clixml, into
/// Sync-S3BackupToSource (a reviewed plan, pinned to its versions) and Undo-S3BackupRestore.
/// </summary>
public sealed class SyncResult
{
    public string Key { get; set; } = "";

    /// <summary>Copied, Skipped, WouldCopy, Failed, NeedsRestore, TooLarge, Deleted or WouldDelete.</summary>
    public string Action { get; set; } = "";

    /// <summary>
    /// Why, in the vocabulary Compare-S3BackupBucket shares: MissingInSource, SizeDiffers, ETagDiffers, ChecksumDiffers,
    /// Unverifiable, Always (copied); SameSize, SameETag, SameChecksum, DeleteMarker, NotFound (skipped); Archived,
    /// RestoreStarted, RestoreInProgress (needs restore); MissingInBackup (-Mirror's removals).
    /// </summary>
    public string? Reason { get; set; }

    public string BackupBucket { get; set; } = "";

    /// <summary>The backup version read (or that would be), where the backup is versioned.</summary>
    public string? BackupVersionId { get; set; }

    public string SourceBucket { get; set; } = "";

    /// <summary>The source version the restore created (Copied), or the delete marker -Mirror added (Deleted), where the source is versioned.</summary>
    public string? SourceVersionId { get; set; }

    /// <summary>The backup object's size (for a removal, the source object's).</summary>
    public long Size { get; set; }

    /// <summary>Bytes copied (Copied), or that would be (WouldCopy) or needed no copy (Skipped); 0 otherwise.</summary>
    public long Bytes { get; set; }

    /// <summary>When this happened (UTC).</summary>
    public DateTime Time { get; set; }

    /// <summary>The moment of the backup the run restored (-AsOf, UTC); empty for its current state.</summary>
    public DateTime? AsOf { get; set; }

    /// <summary>How long the copy or removal took, in seconds.</summary>
    public double Seconds { get; set; }

    public string? Error { get; set; }

    public override string ToString() => $"{Action} {Key}" + (Reason is null ? "" : $" ({Reason})") + (Error is null ? "" : $": {Error}");
}

/// <summary>
/// How a key differs between the source bucket and its backup. It is also the backup's object for that key (Bucket,
/// Key, VersionId, Size, ETag are the backup's), so compare results pipe straight into Sync-S3BackupToSource, which
/// restores the MissingInSource and Different ones.
/// </summary>
public sealed class CompareResult : S3ObjectRecord
{
    public string SourceBucket { get; set; } = "";

    /// <summary>MissingInBackup, MissingInSource, Different, Equal, or Unverified (-CompareBy ComputedChecksum only).</summary>
    public string State { get; set; } = "";

    public long? SourceSize { get; set; }
    public long? BackupSize { get; set; }
    public string? SourceETag { get; set; }
    public string? BackupETag { get; set; }
    public DateTime? SourceLastModified { get; set; }
    public DateTime? BackupLastModified { get; set; }

    /// <summary>
    /// Why, in the vocabulary SyncResult shares: MissingInSource, MissingInBackup; SizeDiffers, ETagDiffers, ChecksumDiffers,
    /// Unverifiable (neither could tell: a restore copies it), Always (Different); SameSize, SameETag, SameChecksum (Equal);
    /// TaskFailed (Unverified: -CompareBy ComputedChecksum had no checksum for one side).
    /// </summary>
    public string? Reason { get; set; }

    /// <summary>-CompareBy ComputedChecksum: the algorithm S3 computed both sides' checksums with (CRC64NVME, SHA256, ...).</summary>
    public string? ComputedChecksumAlgorithm { get; set; }

    /// <summary>
    /// -CompareBy ComputedChecksum: the source object's full-object checksum as S3 computed it from the stored bytes (base64):
    /// of the version compared where the compare knew every source version (piped rows on a versioned source), else of
    /// whatever object was current under the key when the job read it, which a write after the plan can have replaced.
    /// </summary>
    public string? SourceChecksum { get; set; }

    /// <summary>-CompareBy ComputedChecksum: the backup version's full-object checksum as S3 computed it (base64).</summary>
    public string? BackupChecksum { get; set; }

    /// <summary>Why an Unverified key has no checksum on a side: its task's error code and message, or the job that left it out.</summary>
    public string? Error { get; set; }

    public override string ToString() => $"{State} {Key}";
}
