namespace S3Replication.Records;

/// <summary>What Save-S3BackupObject or Write-S3BackupObject did with one file: Downloaded, Uploaded, Skipped, Failed, WouldDownload or WouldUpload.</summary>
public sealed class TransferResult
{
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public string? VersionId { get; set; }
    public string Path { get; set; } = "";
    public string Action { get; set; } = "";

    /// <summary>Why: Missing, Different, Resumed, Identical, FolderMarker, DeleteMarker.</summary>
    public string? Reason { get; set; }

    /// <summary>The object's size (download) or the file's (upload).</summary>
    public long Size { get; set; }

    /// <summary>Bytes moved by this run (a resumed download counts only the rest).</summary>
    public long Bytes { get; set; }

    /// <summary>How long the transfer took, in seconds.</summary>
    public double Seconds { get; set; }
    public string? Error { get; set; }

    public override string ToString() => $"{Action} s3://{Bucket}/{Key} <-> {Path}" + (Reason is null ? "" : $" ({Reason})") + (Error is null ? "" : $": {Error}");
}
