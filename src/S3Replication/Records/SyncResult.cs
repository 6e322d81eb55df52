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

    public long Bytes { get; set; }
    public TimeSpan Duration { get; set; }
    public string? Error { get; set; }

    public override string ToString() => $"{Action} {Key}" + (Reason is null ? "" : $" ({Reason})") + (Error is null ? "" : $": {Error}");
}

/// <summary>How a key differs between the source bucket and its backup.</summary>
public sealed class CompareResult
{
    public string SourceBucket { get; set; } = "";
    public string BackupBucket { get; set; } = "";
    public string Key { get; set; } = "";

    /// <summary>MissingInBackup, MissingInSource, Different or Equal.</summary>
    public string State { get; set; } = "";

    public long? SourceSize { get; set; }
    public long? BackupSize { get; set; }
    public string? SourceETag { get; set; }
    public string? BackupETag { get; set; }
    public DateTime? SourceLastModified { get; set; }
    public DateTime? BackupLastModified { get; set; }

    /// <summary>The backup version compared (set when the backup was compared as of a moment).</summary>
    public string? BackupVersionId { get; set; }

    public override string ToString() => $"{State} {Key}";

    /// <summary>The backup object a restore would copy for this key; null where the backup has nothing the source lacks.</summary>
    internal S3ObjectRecord? ToBackupObject() => State is "MissingInSource" or "Different" && BackupBucket.Length > 0
        ? new S3ObjectRecord { Bucket = BackupBucket, Key = Key, VersionId = BackupVersionId, Size = BackupSize ?? 0, ETag = BackupETag, LastModified = BackupLastModified }
        : null;
}
