using System;

namespace S3Replication.Records;

/// <summary>
/// What Undo-S3BackupRestore did (or would do) with one restore record that changed the source: the version the restore
/// created (or the delete marker -Mirror added) removed, or left alone and why, and what the key holds now.
/// </summary>
public sealed class UndoResult
{
    public string Key { get; set; } = "";

    /// <summary>Undone, WouldUndo, LeftAlone, NotUndoable or Failed.</summary>
    public string Action { get; set; } = "";

    /// <summary>
    /// Why: Created (the restore created the key: it is gone again), Replaced (the version the restore replaced is current
    /// again), MarkerAdded (-Mirror's delete marker removed: the object is back) for Undone and WouldUndo;
    /// ChangedSinceRestore (a newer version is current) or VersionGone (the restore's version is no longer there: undone
    /// already) for LeftAlone; NoSourceVersion, NullVersion, KindMismatch or NoSourceBucket for NotUndoable.
    /// </summary>
    public string? Reason { get; set; }

    public string SourceBucket { get; set; } = "";

    /// <summary>What the restore did: Copied or Deleted.</summary>
    public string RestoreAction { get; set; } = "";

    /// <summary>The version the restore created, or the delete marker it added: removed (Undone), or that would be, or left in place.</summary>
    public string? SourceVersionId { get; set; }

    /// <summary>The key's current version after the undo (Undone; WouldUndo: after it would be), or as found (LeftAlone); empty when the key has no versions.</summary>
    public string? CurrentVersionId { get; set; }

    /// <summary>Whether that current version is a delete marker (the key is not listed).</summary>
    public bool CurrentIsDeleteMarker { get; set; }

    /// <summary>The size of the version removed (0 for a delete marker).</summary>
    public long Size { get; set; }

    /// <summary>When this happened (UTC).</summary>
    public DateTime Time { get; set; }

    /// <summary>How long the key took (reading its versions and the removals), in seconds.</summary>
    public double Seconds { get; set; }

    public string? Error { get; set; }

    public override string ToString() => $"{Action} s3://{SourceBucket}/{Key}" + (Reason is null ? "" : $" ({Reason})") + (Error is null ? "" : $": {Error}");
}
