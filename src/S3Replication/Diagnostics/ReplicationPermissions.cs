using System.Collections.Generic;
using System.Linq;

namespace S3Replication.Diagnostics;

/// <summary>One permission replication needs: without a Required one objects fail to replicate; an Advised one matters for some objects.</summary>
internal sealed record PermissionNeed(string Action, string Resource, bool Required, string Why);

/// <summary>
/// What S3 replication needs of the role's policies and of a cross-account backup bucket's policy (AWS's "Setting up
/// permissions for live replication"), and the findings from evaluating them. Pure.
/// </summary>
internal static class ReplicationPermissions
{
    public const string RoleCheck = "RolePolicy";
    public const string BucketCheck = "BucketPolicy";

    /// <summary>
    /// The role reads the rule's objects in the source bucket and replicates them into the backup bucket.
    /// <paramref name="sourceKmsKey"/> and <paramref name="replicaKmsKey"/> are the keys of SSE-KMS objects where they are in play.
    /// </summary>
    public static IReadOnlyList<PermissionNeed> OfRole(string sourceBucket, ReviewedRule rule, string? sourceKmsKey, string? replicaKmsKey)
    {
        var sourceObjects = rule.ObjectsOf(sourceBucket);
        var backupObjects = rule.ObjectsOf(rule.BackupBucket);
        var needs = new List<PermissionNeed>
        {
            new("s3:GetReplicationConfiguration", $"arn:aws:s3:::{sourceBucket}", true, "to read the rules"),
            new("s3:ListBucket", $"arn:aws:s3:::{sourceBucket}", true, "to list the source bucket"),
            new("s3:GetObjectVersionForReplication", sourceObjects, true, "to read each new version"),
            new("s3:GetObjectVersionAcl", sourceObjects, true, "to read each version's ACL"),
            new("s3:GetObjectVersionTagging", sourceObjects, true, "to read each version's tags"),
            new("s3:ReplicateObject", backupObjects, true, "to write the replicas"),
            new("s3:ReplicateTags", backupObjects, true, "to write the replicas' tags"),
        };
        if (rule.Rule.DeleteMarkerReplication)
        {
            needs.Add(new("s3:ReplicateDelete", backupObjects, true, "to replicate delete markers, as the rule asks"));
        }
        if (rule.Rule.OwnerOverride)
        {
            needs.Add(new("s3:ObjectOwnerOverrideToBucketOwner", backupObjects, true, "to give the replicas to the backup account, as the rule asks"));
        }
        if (sourceKmsKey is not null)
        {
            needs.Add(new("kms:Decrypt", sourceKmsKey, false, "to read SSE-KMS objects"));
        }
        if (replicaKmsKey is not null)
        {
            needs.Add(new("kms:Encrypt", replicaKmsKey, false, "to encrypt the replicas of SSE-KMS objects"));
        }
        return needs;
    }

    /// <summary>What a backup bucket in another account must grant the role in its bucket policy.</summary>
    public static IReadOnlyList<PermissionNeed> OfBackupBucketPolicy(ReviewedRule rule)
    {
        var backupObjects = rule.ObjectsOf(rule.BackupBucket);
        var needs = new List<PermissionNeed>
        {
            new("s3:ReplicateObject", backupObjects, true, "to write the replicas"),
            new("s3:ReplicateTags", backupObjects, false, "to write the tags of tagged objects"),
            new("s3:GetBucketVersioning", $"arn:aws:s3:::{rule.BackupBucket}", false, "to check the backup bucket is versioned"),
        };
        if (rule.Rule.DeleteMarkerReplication)
        {
            needs.Add(new("s3:ReplicateDelete", backupObjects, true, "to replicate delete markers, as the rule asks"));
        }
        if (rule.Rule.OwnerOverride)
        {
            needs.Add(new("s3:ObjectOwnerOverrideToBucketOwner", backupObjects, true, "to give the replicas to the backup account, as the rule asks"));
        }
        return needs;
    }

    /// <summary>
    /// One Passed finding when the policy grants everything unconditionally; otherwise one finding per permission
    /// that is missing (Failed, or Warning for an advised one), denied, or granted only under a Condition (NotEvaluated).
    /// <paramref name="statementFor"/> writes the policy statement that would grant a permission (for the hint).
    /// </summary>
    public static IReadOnlyList<ReplicationFinding> Findings(string check, string holder, IReadOnlyList<(PermissionNeed Need, PolicyVerdict Verdict)> verdicts,
        System.Func<PermissionNeed, string> statementFor)
    {
        var findings = new List<ReplicationFinding>();
        foreach (var (need, verdict) in verdicts)
        {
            var target = $"{need.Action} on {need.Resource}";
            var failing = need.Required ? FindingOutcome.Failed : FindingOutcome.Warning;
            switch (verdict.Decision)
            {
                case PolicyDecision.ExplicitDeny:
                    findings.Add(new ReplicationFinding(check, target, failing,
                        $"Denied by {Where(verdict)} ({need.Why}).",
                        $"Remove or narrow that Deny statement in {verdict.DecidingPolicy}."));
                    break;
                case PolicyDecision.ImplicitDeny:
                    findings.Add(new ReplicationFinding(check, target, failing,
                        $"No statement of {holder} allows it ({need.Why}).",
                        $"Add to {holder}: {statementFor(need)}"));
                    break;
                default:
                    if (verdict.ConditionsNotEvaluated.Count > 0)
                    {
                        findings.Add(new ReplicationFinding(check, target, FindingOutcome.NotEvaluated,
                            $"Allowed by {Where(verdict)}, but {string.Join(", ", verdict.ConditionsNotEvaluated)} {(verdict.ConditionsNotEvaluated.Count == 1 ? "has a Condition" : "have Conditions")} that {(verdict.ConditionsNotEvaluated.Count == 1 ? "was" : "were")} not evaluated.",
                            "Check that the Condition holds for S3 replication's requests (they come from s3.amazonaws.com acting as the role)."));
                    }
                    break;
            }
        }
        if (findings.Count == 0)
        {
            findings.Add(new ReplicationFinding(check, holder, FindingOutcome.Passed,
                $"Grants the {verdicts.Count} permissions replication needs: {string.Join(", ", verdicts.Select(pair => pair.Need.Action).Distinct())}."));
        }
        return findings;
    }

    private static string Where(PolicyVerdict verdict) =>
        verdict.DecidingStatement is null ? verdict.DecidingPolicy ?? "a policy" : $"{verdict.DecidingPolicy} ({verdict.DecidingStatement})";

    /// <summary>The identity-policy statement that grants a permission: what to add to the role.</summary>
    public static string RoleStatement(PermissionNeed need) =>
        $"{{\"Effect\":\"Allow\",\"Action\":\"{need.Action}\",\"Resource\":\"{need.Resource}\"}}";

    /// <summary>The bucket-policy statement that grants a permission to the role: what to add to the backup bucket's policy.</summary>
    public static string BucketStatement(PermissionNeed need, string roleArn) =>
        $"{{\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"{roleArn}\"}},\"Action\":\"{need.Action}\",\"Resource\":\"{need.Resource}\"}}";
}
