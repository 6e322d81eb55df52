namespace S3Replication.Records;

/// <summary>An object's replication state from HeadObject: PENDING, COMPLETED, FAILED, REPLICA, or NONE.</summary>
public sealed class ReplicationStatusRecord
{
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public string? VersionId { get; set; }
    public string Status { get; set; } = "NONE";

    public override string ToString() => $"s3://{Bucket}/{Key}: {Status}";
}

/// <summary>How many objects are in one replication state (Get-S3ReplicationStatus -Summary).</summary>
public sealed class ReplicationStatusSummary
{
    public string Bucket { get; set; } = "";
    public string Status { get; set; } = "";
    public long Count { get; set; }

    public override string ToString() => $"{Bucket}: {Count} {Status}";
}
