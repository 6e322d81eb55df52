namespace S3Replication.Records;

/// <summary>
/// One permission check of Test-S3BackupAccess: what was tried (Check, Action) on what (Target), whether it was
/// Allowed, Denied, an Error, or Skipped, and for anything but Allowed a Hint saying what to change.
/// </summary>
public sealed class AccessCheckRecord
{
    public string? Bucket { get; set; }

    /// <summary>Identity, Region, List, Read, ReadVersion, Write, Delete, Versioning, Versions, UndoCheck, Undo or Replication.</summary>
    public string Check { get; set; } = "";

    /// <summary>The resource checked: an ARN, or the profile for the Identity check.</summary>
    public string Target { get; set; } = "";

    /// <summary>The IAM action the check needs, e.g. s3:PutObject.</summary>
    public string? Action { get; set; }

    /// <summary>Allowed, Denied, Error, or Skipped (not tried: nothing to try it on, or not a permission the runbook needs).</summary>
    public string Outcome { get; set; } = "";

    public string? ErrorCode { get; set; }

    /// <summary>What the check found when allowed (an ARN, a versioning status, a rule count).</summary>
    public string? Detail { get; set; }

    /// <summary>What to change: the missing IAM action and resource, the bucket policy or KMS key, the right region.</summary>
    public string? Hint { get; set; }

    public override string ToString() =>
        $"{Outcome} {Check} {Target}" + (ErrorCode is null ? "" : $" ({ErrorCode})") + (Hint is null ? "" : $": {Hint}");
}
