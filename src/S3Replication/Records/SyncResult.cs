using System;

namespace S3Replication.Records;

/// <summary>What a restore did with one object: Copied, Skipped, WouldCopy, Failed or NeedsRestore.</summary>
public sealed class SyncResult
{
    public string Key { get; set; } = "";
    public string? VersionId { get; set; }
    public string Action { get; set; } = "";

    /// <summary>Why: Missing, SizeDiffers, ETagDiffers, Unverifiable, Always; Equal, DeleteMarker (skipped); Archived, RestoreStarted, RestoreInProgress.</summary>
    public string? Reason { get; set; }

    /// <summary>The backup object's size.</summary>
    public long Size { get; set; }

    /// <summary>Bytes copied (Copied), or that would be (WouldCopy) or needed no copy (Skipped); 0 when Failed.</summary>
    public long Bytes { get; set; }

    public TimeSpan Duration { get; set; }
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

    /// <summary>MissingInBackup, MissingInSource, Different or Equal.</summary>
    public string State { get; set; } = "";

    public long? SourceSize { get; set; }
    public long? BackupSize { get; set; }
    public string? SourceETag { get; set; }
    public string? BackupETag { get; set; }
    public DateTime? SourceLastModified { get; set; }
    public DateTime? BackupLastModified { get; set; }

    /// <summary>What Equal or Different rests on: Size, ETag, Checksum, or Unverifiable (neither could tell; a restore copies it).</summary>
    public string? Reason { get; set; }

    /// <summary>Whether a restore has something to copy for this key.</summary>
    internal bool BackupHasWhatSourceLacks => State is "MissingInSource" or "Different";

    public override string ToString() => $"{State} {Key}";
}
