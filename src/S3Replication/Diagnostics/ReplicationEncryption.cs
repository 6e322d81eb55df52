using System;
using System.Collections.Generic;
using System.Linq;

namespace S3Replication.Diagnostics;

/// <summary>
/// Source default encryption as GetBucketEncryption reports it: the algorithm (null: none) and its KMS key, or why it
/// could not be read.
/// </summary>
internal sealed record SourceEncryption(string? Algorithm, string? KmsKeyId, string? Unreadable = null)
{
    public bool IsKms => Algorithm is { } algorithm && algorithm.StartsWith("aws:kms", StringComparison.Ordinal);
}

/// <summary>Whether SSE-KMS objects reach the backup: S3 skips them unless the rule selects them and names a replica key. Pure.</summary>
internal static class ReplicationEncryption
{
    public const string Check = "Encryption";

    public static ReplicationFinding Finding(string sourceBucket, ReviewedRule rule, SourceEncryption encryption, IReadOnlyList<SampledObject> sample)
    {
        var target = $"s3://{sourceBucket}";
        var kmsSampled = sample.Count(item => item.SseKms);
        var sampled = sample.Count > 0 ? $"none of the {sample.Count} sampled objects" : "no objects sampled";
        if (!encryption.IsKms && kmsSampled == 0)
        {
            return encryption.Unreadable is { } unreadable
                ? new ReplicationFinding(Check, target, FindingOutcome.NotEvaluated, $"The default encryption could not be read ({unreadable}); {sampled} is SSE-KMS encrypted.",
                    "Give the session s3:GetEncryptionConfiguration on the source bucket, or sample more objects (-Sample).")
                : new ReplicationFinding(Check, target, FindingOutcome.Passed, $"No SSE-KMS: default encryption {encryption.Algorithm ?? "none"}, {sampled}.");
        }
        var why = encryption.IsKms
            ? $"The bucket encrypts new objects with SSE-KMS ({encryption.Algorithm}{(encryption.KmsKeyId is null ? "" : $", key {encryption.KmsKeyId}")})"
            : $"{kmsSampled} of the {sample.Count} sampled objects are SSE-KMS encrypted";
        var fix = ReplicationRuleReview.RecreateCommand(sourceBucket, rule, "-ReplicaKmsKeyId <KMS key ARN in the backup bucket's region>");
        if (!rule.Rule.SseKmsEncryptedObjects)
        {
            return new ReplicationFinding(Check, $"rule {rule.Rule.RuleId}", FindingOutcome.Failed,
                $"{why}, but the rule does not select SSE-KMS objects (SourceSelectionCriteria): S3 does not replicate them.", fix);
        }
        if (string.IsNullOrEmpty(rule.Rule.ReplicaKmsKeyId))
        {
            return new ReplicationFinding(Check, $"rule {rule.Rule.RuleId}", FindingOutcome.Failed,
                $"{why}; the rule selects SSE-KMS objects but names no key for the replicas (ReplicaKmsKeyID).", fix);
        }
        return new ReplicationFinding(Check, $"rule {rule.Rule.RuleId}", FindingOutcome.Passed,
            $"{why}; the rule replicates SSE-KMS objects, encrypting the replicas with {rule.Rule.ReplicaKmsKeyId}.");
    }
}
