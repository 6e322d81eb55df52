namespace S3Replication.Records;

/// <summary>
/// What one run of Sync-S3BackupToSource, Save-S3BackupObject or Write-S3BackupObject did, as counts: written
/// with -Summary instead of one record per object, and shown as a sentence at the end of every run.
/// </summary>
public sealed class TransferSummary
{
    /// <summary>Restore, Download or Upload.</summary>
    public string Activity { get; set; } = "";

    /// <summary>Where the run wrote: s3://bucket or a folder.</summary>
    public string Target { get; set; } = "";

    /// <summary>Objects or files handled, whatever became of them.</summary>
    public long Total { get; set; }

    /// <summary>Copied, downloaded or uploaded.</summary>
    public long Transferred { get; set; }

    public long Skipped { get; set; }
    public long Failed { get; set; }

    /// <summary>What a -WhatIf run (or a declined -Confirm) would have transferred.</summary>
    public long WouldTransfer { get; set; }

    /// <summary>Archived objects that need restoring from Glacier first (restores only).</summary>
    public long NeedsRestore { get; set; }

    /// <summary>Objects above what the run's path copies (Batch Operations: 5 GiB), left for a local restore.</summary>
    public long TooLarge { get; set; }

    /// <summary>Objects -Mirror removed from the source (delete markers on a versioned bucket), and would remove under -WhatIf (Sync only).</summary>
    public long Removed { get; set; }
    public long WouldRemove { get; set; }

    /// <summary>Bytes transferred.</summary>
    public long Bytes { get; set; }

    /// <summary>How long the run took, in seconds.</summary>
    public double Seconds { get; set; }
    public double ItemsPerSecond { get; set; }
    public double BytesPerSecond { get; set; }

    /// <summary>True when the run was stopped (Ctrl+C, or the first transfers all denied) before it had handled everything.</summary>
    public bool Stopped { get; set; }

    /// <summary>The sentence shown at the end of the run.</summary>
    public string Text { get; set; } = "";

    public override string ToString() => Text;
}
