using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// One restore record as an undo reads it: what the restore did to which key of which source bucket, and the version
/// that change made there (Copied: the object version it created; Deleted: the delete marker -Mirror added).
/// </summary>
internal sealed record UndoRow(string SourceBucket, string Key, SyncAction Action, string? SourceVersionId)
{
    public string BackupBucket { get; init; } = "";
    public string? BackupVersionId { get; init; }

    /// <summary>The record the row was read from, as the target of its error records.</summary>
    public object? Origin { get; init; }

    /// <summary>Whether the restore changed the source with this row (the other actions changed nothing).</summary>
    public bool ChangedSource => Action is SyncAction.Copied or SyncAction.Deleted;

    /// <summary>The row's change is a delete marker (-Mirror's removal), not an object version.</summary>
    public bool AddedMarker => Action == SyncAction.Deleted;

    public string Uri => $"s3://{SourceBucket}/{Key}";

    /// <summary>A restore record read back (typed, Import-Csv, Import-Clixml) as an undo row.</summary>
    public static UndoRow From(RestoreRow row, object? origin) =>
        new(row.SourceBucket, row.Key, row.Action ?? throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
            $"The restore record of '{row.Key}' has no Action, so it does not say what the restore did: pipe the records Sync-S3BackupToSource wrote (or a CSV or Clixml of them).",
            origin), row.SourceVersionId)
        {
            BackupBucket = row.Bucket,
            BackupVersionId = row.VersionId,
            Origin = origin,
        };
}

/// <summary>One entry of a key's history as ListObjectVersions gives it, newest first: an object version or a delete marker.</summary>
internal sealed record KeyVersion(string VersionId, bool IsDeleteMarker, DateTime? LastModified = null, long Size = 0)
{
    /// <summary>"object version 3HL4… (1.0 KiB, 2026-12-01 22:04:15Z)" or "a delete marker (version …, …)".</summary>
    public override string ToString() =>
        (IsDeleteMarker ? $"a delete marker (version {VersionId}" : $"object version {VersionId} ({ByteSize.Format(Size)}")
        + (LastModified is { } written ? ", " + written.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "") + ")";
}

/// <summary>What the undo does with a row.</summary>
internal enum UndoVerdict
{
    /// <summary>Remove the row's version: it is the key's current one.</summary>
    Remove,

    /// <summary>Leave the key alone: its current version is no longer the one the restore wrote.</summary>
    LeftAlone,

    /// <summary>The row changed nothing (WouldCopy, Skipped, Failed, …), or repeats another row: nothing to undo.</summary>
    Pass,

    /// <summary>The row names no version that could be removed: what the restore did cannot be undone by an undo.</summary>
    NotUndoable,
}

/// <summary>Why, for each <see cref="UndoVerdict"/>; the record's Reason.</summary>
internal enum UndoReason
{
    /// <summary>Remove: the restore created the key (nothing, or a delete marker, was current before): it is gone again.</summary>
    Created,

    /// <summary>Remove: the restore replaced an object version, which is current again.</summary>
    Replaced,

    /// <summary>Remove: -Mirror's delete marker; the object under it is back.</summary>
    MarkerAdded,

    /// <summary>LeftAlone: a version newer than the restore's (an object or a delete marker) is current.</summary>
    ChangedSinceRestore,

    /// <summary>LeftAlone: the restore's version is no longer among the key's versions (undone already, or removed since).</summary>
    VersionGone,

    /// <summary>Pass: WouldCopy, Skipped, Failed, NeedsRestore, TooLarge or WouldDelete changed nothing.</summary>
    ChangedNothing,

    /// <summary>Pass: another row names the same version of the same key.</summary>
    Duplicate,

    /// <summary>NotUndoable: no SourceVersionId (an unversioned source: the restore overwrote or removed for good).</summary>
    NoSourceVersion,

    /// <summary>NotUndoable: the "null" version (versioning suspended): the restore's write replaced what was there.</summary>
    NullVersion,

    /// <summary>NotUndoable: the version the row names is of the other kind (a marker for a copy, an object for a removal).</summary>
    KindMismatch,

    /// <summary>NotUndoable: the row names no source bucket.</summary>
    NoSourceBucket,
}

/// <summary>
/// The decision for one row. Remove: <see cref="Current"/> is the version removed and <see cref="After"/> what becomes
/// current (null: the key has no versions left). LeftAlone and KindMismatch: <see cref="Current"/> is what is current now
/// (null: the key has no versions).
/// </summary>
internal sealed record UndoStep(UndoRow Row, UndoVerdict Verdict, UndoReason Reason)
{
    public KeyVersion? Current { get; init; }
    public KeyVersion? After { get; init; }
}

/// <summary>
/// Undo planning, pure: a restore row and what its key holds now (its versions, newest first) give what to remove or why
/// not. A row's change is undone only while it is still the key's current version: removing that exact version makes
/// the key's previous state current again (the version the restore replaced, or no object where it created the key; for
/// -Mirror's delete marker, the object it hid). Several rows on one key (two restores, a copy and a later -Mirror
/// removal) are undone newest first, in the order the key's own history gives, not the order of the rows or their
/// times (Export-Csv keeps whole seconds): each removal makes the next row's version current, so undoing them all
/// brings back the state before the first. A row whose version is buried under a change nobody undoes is left alone.
/// </summary>
internal static class UndoPlanner
{
    /// <summary>The step for a row that needs no look at its key (changed nothing, or cannot be undone); null when the key's versions decide.</summary>
    public static UndoStep? WithoutHistory(UndoRow row)
    {
        if (!row.ChangedSource)
        {
            return new UndoStep(row, UndoVerdict.Pass, UndoReason.ChangedNothing);
        }
        if (row.SourceBucket.Length == 0)
        {
            return new UndoStep(row, UndoVerdict.NotUndoable, UndoReason.NoSourceBucket);
        }
        return row.SourceVersionId switch
        {
            null or "" => new UndoStep(row, UndoVerdict.NotUndoable, UndoReason.NoSourceVersion),
            "null" => new UndoStep(row, UndoVerdict.NotUndoable, UndoReason.NullVersion),
            _ => null,
        };
    }

    /// <summary>
    /// One step per row of one key (rows for which <see cref="WithoutHistory"/> is null), from the key's versions newest
    /// first: the removals first, in the order they must run (newest first), then the rows left alone or passed over.
    /// </summary>
    public static IReadOnlyList<UndoStep> PlanKey(IReadOnlyList<UndoRow> rows, IReadOnlyList<KeyVersion> history)
    {
        var steps = new List<UndoStep>(rows.Count);
        var byVersion = new Dictionary<string, UndoRow>(StringComparer.Ordinal);
        var pending = new List<UndoRow>();
        foreach (var row in rows)
        {
            if (byVersion.ContainsKey(row.SourceVersionId!))
            {
                steps.Add(new UndoStep(row, UndoVerdict.Pass, UndoReason.Duplicate));
                continue;
            }
            byVersion.Add(row.SourceVersionId!, row);
            pending.Add(row);
        }
        var removals = new List<UndoStep>();
        var top = 0;
        while (top < history.Count && byVersion.TryGetValue(history[top].VersionId, out var row) && row.AddedMarker == history[top].IsDeleteMarker)
        {
            var after = top + 1 < history.Count ? history[top + 1] : null;
            var reason = row.AddedMarker ? UndoReason.MarkerAdded : after is { IsDeleteMarker: false } ? UndoReason.Replaced : UndoReason.Created;
            removals.Add(new UndoStep(row, UndoVerdict.Remove, reason) { Current = history[top], After = after });
            byVersion.Remove(row.SourceVersionId!);
            top++;
        }
        var current = top < history.Count ? history[top] : null;
        var listed = history.ToDictionary(version => version.VersionId, StringComparer.Ordinal);
        var rest = pending.Where(row => byVersion.ContainsKey(row.SourceVersionId!)).Select(row =>
            !listed.TryGetValue(row.SourceVersionId!, out var version) ? new UndoStep(row, UndoVerdict.LeftAlone, UndoReason.VersionGone) { Current = current }
            : version.IsDeleteMarker != row.AddedMarker ? new UndoStep(row, UndoVerdict.NotUndoable, UndoReason.KindMismatch) { Current = version }
            : new UndoStep(row, UndoVerdict.LeftAlone, UndoReason.ChangedSinceRestore) { Current = current });
        return removals.Concat(rest).Concat(steps).ToList();
    }

    /// <summary>
    /// Whether <paramref name="listed"/> (the key's newest versions so far) is too short to plan <paramref name="rows"/>:
    /// a row's version is not in it yet, or its last entry is a row's version (what comes after it would be current).
    /// Listing stops when this is false or the key's versions end.
    /// </summary>
    public static bool NeedsMore(IReadOnlyList<UndoRow> rows, IReadOnlyList<KeyVersion> listed)
    {
        if (listed.Count == 0)
        {
            return true;
        }
        var seen = new HashSet<string>(listed.Select(version => version.VersionId), StringComparer.Ordinal);
        return rows.Any(row => !seen.Contains(row.SourceVersionId!)) || rows.Any(row => row.SourceVersionId == listed[listed.Count - 1].VersionId);
    }

    /// <summary>The error a row left alone or not undoable is reported with; null for the others.</summary>
    public static S3BackupException? Explain(UndoStep step)
    {
        var row = step.Row;
        var wrote = row.AddedMarker ? $"the delete marker {row.SourceVersionId} that -Mirror added" : $"the version {row.SourceVersionId} the restore created";
        var now = step.Current is { } current ? $"current now is {current}" : "the key has no versions at all now";
        var target = row.Origin ?? row.Uri;
        return (step.Verdict, step.Reason) switch
        {
            (UndoVerdict.LeftAlone, UndoReason.ChangedSinceRestore) => new S3BackupException(ErrorId.ChangedSinceRestore, ErrorCategory.ResourceUnavailable,
                $"{row.Uri} was left alone: it changed since the restore. {Capital(now)}, newer than {wrote}; " +
                "removing the restore's version would not bring back what was there before. Look at the key's versions (Get-S3BackupObject -AllVersions) and decide by hand.",
                target),
            (UndoVerdict.LeftAlone, _) => new S3BackupException(ErrorId.ChangedSinceRestore, ErrorCategory.ResourceUnavailable,
                $"{row.Uri} was left alone: {wrote} is no longer among the key's versions, so it was undone already (or removed since); {now}.", target),
            (UndoVerdict.NotUndoable, UndoReason.NoSourceVersion) => new S3BackupException(ErrorId.NotUndoable, ErrorCategory.InvalidData,
                $"{row.Uri} cannot be undone: the record ({row.Action}) names no source version, so s3://{row.SourceBucket} was not versioned when the restore " +
                (row.AddedMarker ? "removed the object (-Mirror -Force removed it for good). " : "wrote it, and what the copy replaced is gone. ") +
                "Restore the key from the backup as of an earlier moment instead (Sync-S3BackupToSource -AsOf).", target),
            (UndoVerdict.NotUndoable, UndoReason.NullVersion) => new S3BackupException(ErrorId.NotUndoable, ErrorCategory.InvalidData,
                $"{row.Uri} cannot be undone: the restore wrote the key's \"null\" version (versioning was suspended on s3://{row.SourceBucket}), which replaced what " +
                "was there; removing it would not bring that back. Restore the key from the backup as of an earlier moment instead (Sync-S3BackupToSource -AsOf).", target),
            (UndoVerdict.NotUndoable, UndoReason.KindMismatch) => new S3BackupException(ErrorId.NotUndoable, ErrorCategory.InvalidData,
                $"{row.Uri} cannot be undone from this record: it says the restore {(row.AddedMarker ? "removed the key with a delete marker" : "copied an object version")} " +
                $"{row.SourceVersionId}, but that version of the key is {(row.AddedMarker ? "an object" : "a delete marker")}: the record does not describe this bucket. It was left alone.",
                target),
            (UndoVerdict.NotUndoable, _) => new S3BackupException(ErrorId.NotUndoable, ErrorCategory.InvalidData,
                $"The restore record of '{row.Key}' ({row.Action}) names no SourceBucket, so there is nothing to undo it in: pipe the records Sync-S3BackupToSource wrote " +
                "(or a CSV or Clixml of them) with their SourceBucket.", target),
            _ => null,
        };
    }

    private static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);
}
