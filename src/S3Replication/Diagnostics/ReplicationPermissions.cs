using System;
using System.Collections.Generic;
using System.Linq;

namespace S3Replication.Diagnostics;

/// <summary>
/// One permission replication needs: without a Required one objects fail to replicate; an advised one matters for some
/// objects or some of their parts (tags). <paramref name="NotKnown"/> says why the resource is not known (a KMS key named
/// by alias), which leaves the permission NotEvaluated.
/// </summary>
internal sealed record PermissionNeed(string Action, string Resource, bool Required, string Why, string? NotKnown = null);

/// <summary>A KMS key as IAM policies name it: its key ARN. An alias, or the AWS managed key, leaves the key unknown.</summary>
internal static class KmsKeyArns
{
    /// <summary>The key ARN, or null (with why) where the given name is an alias or missing; a bare key id is completed with the region and account.</summary>
    public static (string? Arn, string? NotKnown) Of(string? keyId, string region, string? account)
    {
        if (string.IsNullOrEmpty(keyId))
        {
            return (null, "the objects use the AWS managed key aws/s3, whose ARN is not known here");
        }
        if (keyId!.StartsWith("arn:", StringComparison.Ordinal))
        {
            return keyId.Contains(":key/") ? (keyId, null) : (null, $"the key is named by its alias {keyId}; policies name the key's own ARN");
        }
        if (keyId.StartsWith("alias/", StringComparison.Ordinal) || account is null)
        {
            return (null, $"the key is named '{keyId}'{(account is null ? " and the account is not known" : ", an alias")}; policies name the key's own ARN");
        }
        return ($"arn:{Session.AwsNames.PartitionOf(region)}:kms:{region}:{account}:key/{keyId}", null);
    }
}

/// <summary>
/// What S3 replication needs of the role's policies and of a cross-account backup bucket's policy (AWS's "Setting up
/// permissions for live replication"), and the findings from evaluating them. Pure.
/// </summary>
internal static class ReplicationPermissions
{
    public const string RoleCheck = "RolePolicy";
    public const string BucketCheck = "BucketPolicy";

    /// <summary>
    /// The role reads the rule's objects in the source bucket and replicates them into the backup bucket (AWS's
    /// "Setting up permissions for live replication": s3:ReplicateObject also replicates tags, so s3:ReplicateTags is not
    /// needed; without s3:GetObjectVersionTagging objects replicate without their tags). Where the rule replicates
    /// SSE-KMS objects, the role decrypts with the source objects' key and encrypts with the replica key.
    /// </summary>
    public static IReadOnlyList<PermissionNeed> OfRole(string sourceBucket, ReviewedRule rule, (string? Arn, string? NotKnown) sourceKey,
        (string? Arn, string? NotKnown) replicaKey)
    {
        var sourceObjects = rule.ObjectsOf(sourceBucket);
        var backupObjects = rule.ObjectsOf(rule.BackupBucket);
        var needs = new List<PermissionNeed>
        {
            new("s3:GetReplicationConfiguration", $"arn:aws:s3:::{sourceBucket}", true, "to read the rules"),
            new("s3:ListBucket", $"arn:aws:s3:::{sourceBucket}", true, "to list the source bucket"),
            new("s3:GetObjectVersionForReplication", sourceObjects, true, "to read each new version"),
            new("s3:GetObjectVersionAcl", sourceObjects, true, "to read each version's ACL"),
            new("s3:GetObjectVersionTagging", sourceObjects, false, "to replicate the objects' tags; without it they replicate untagged"),
            new("s3:ReplicateObject", backupObjects, true, "to write the replicas and their tags"),
        };
        if (rule.Rule.DeleteMarkerReplication)
        {
            needs.Add(new("s3:ReplicateDelete", backupObjects, true, "to replicate delete markers, as the rule asks"));
        }
        if (rule.Rule.OwnerOverride)
        {
            needs.Add(new("s3:ObjectOwnerOverrideToBucketOwner", backupObjects, true, "to give the replicas to the backup account, as the rule asks"));
        }
        if (rule.Rule.SseKmsEncryptedObjects)
        {
            needs.Add(new("kms:Decrypt", sourceKey.Arn ?? "the source objects' KMS key", true, "to read SSE-KMS objects", sourceKey.NotKnown));
            needs.Add(new("kms:Encrypt", replicaKey.Arn ?? "the replica KMS key", true, "to encrypt their replicas", replicaKey.NotKnown));
        }
        return needs;
    }

    /// <summary>What a backup bucket in another account must grant the role in its bucket policy.</summary>
    public static IReadOnlyList<PermissionNeed> OfBackupBucketPolicy(ReviewedRule rule)
    {
        var backupObjects = rule.ObjectsOf(rule.BackupBucket);
        var needs = new List<PermissionNeed>
        {
            new("s3:ReplicateObject", backupObjects, true, "to write the replicas and their tags"),
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
            if (need.NotKnown is { } notKnown)
            {
                findings.Add(new ReplicationFinding(check, target, FindingOutcome.NotEvaluated, $"Not evaluated: {notKnown} ({need.Why}).",
                    $"Check that {holder} allows {need.Action} on the key's ARN."));
                continue;
            }
            var part = string.Join(", ", verdict.CoversPart);
            switch (verdict.Decision)
            {
                case PolicyDecision.ExplicitDeny:
                    findings.Add(new ReplicationFinding(check, target, failing,
                        $"Denied by {Where(verdict)} ({need.Why}).",
                        $"Remove or narrow that Deny statement in {verdict.DecidingPolicy}."));
                    break;
                case PolicyDecision.ImplicitDeny:
                    findings.Add(new ReplicationFinding(check, target, failing,
                        part.Length > 0
                            ? $"{part} of {holder} allow{(verdict.CoversPart.Count == 1 ? "s" : "")} it for part of {need.Resource} only ({need.Why})."
                            : $"No statement of {holder} allows it ({need.Why}).",
                        $"Add to {holder}: {statementFor(need)}"));
                    break;
                default:
                    if (part.Length > 0)
                    {
                        findings.Add(new ReplicationFinding(check, target, FindingOutcome.Warning,
                            $"Allowed by {Where(verdict)}, but {part} of {holder} den{(verdict.CoversPart.Count == 1 ? "ies" : "y")} it for part of {need.Resource}: " +
                            "objects there do not replicate.",
                            $"If those objects should be backed up too, narrow {part}."));
                    }
                    if (verdict.ConditionsNotEvaluated.Count > 0)
                    {
                        findings.Add(new ReplicationFinding(check, target, FindingOutcome.NotEvaluated,
                            $"Allowed by {Where(verdict)}, but {string.Join(", ", verdict.ConditionsNotEvaluated)} {(verdict.ConditionsNotEvaluated.Count == 1 ? "depends" : "depend")} " +
                            "on a Condition, a policy variable or the role's session, which were not evaluated.",
                            "Check that it holds for S3 replication's requests (they come from s3.amazonaws.com acting as the role)."));
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
