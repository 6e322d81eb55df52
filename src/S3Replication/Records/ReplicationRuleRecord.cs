using System.Collections;
using System.Linq;

namespace S3Replication.Records;

/// <summary>One rule of a bucket's replication configuration, flattened for tables, pipelines and exports.</summary>
public sealed class ReplicationRuleRecord
{
    public string Bucket { get; set; } = "";
    public string RuleId { get; set; } = "";
    public string Status { get; set; } = "";
    public int? Priority { get; set; }
    public string? Prefix { get; set; }
    public Hashtable Tags { get; set; } = new();
    public string? DestinationBucket { get; set; }
    public string? DestinationAccountId { get; set; }

    /// <summary>The configuration's role (one per bucket, shared by all rules).</summary>
    public string? RoleArn { get; set; }

    public string? StorageClass { get; set; }
    public bool DeleteMarkerReplication { get; set; }
    public bool OwnerOverride { get; set; }
    public string? ReplicaKmsKeyId { get; set; }

    /// <summary>Whether the rule replicates objects encrypted with SSE-KMS (SourceSelectionCriteria); without it S3 skips them.</summary>
    public bool SseKmsEncryptedObjects { get; set; }
    public bool ExistingObjectReplication { get; set; }

    public override string ToString()
    {
        var filter = Tags.Count == 0
            ? $"prefix '{Prefix}'"
            : $"prefix '{Prefix}' and tags {string.Join(", ", Tags.Keys.Cast<object>().Select(key => $"{key}={Tags[key]}"))}";
        return $"{Bucket}/{RuleId} ({Status}, priority {Priority}, {filter}) -> {DestinationBucket}";
    }
}
