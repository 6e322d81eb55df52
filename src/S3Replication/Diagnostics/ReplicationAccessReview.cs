using System.Linq;
using S3Replication.Trust;

namespace S3Replication.Diagnostics;

/// <summary>
/// Who may do what for replication, from documents already read: the role's trust, the backup bucket's policy where it
/// has none, and who owns the replicas. Pure.
/// </summary>
internal static class ReplicationAccessReview
{
    public const string TrustCheck = "Trust";
    public const string OwnershipCheck = "Ownership";

    /// <summary>Whether the role trusts <paramref name="service"/> to assume it; <paramref name="missing"/> is the outcome where it does not.</summary>
    public static ReplicationFinding Trust(TrustPolicyDocument policy, string roleArn, string service, FindingOutcome missing, string consequence)
    {
        var grants = policy.Principals.Where(principal => principal is { Type: "Service", Effect: "Allow", IsNotPrincipal: false } && principal.Value == service
            && principal.Actions.Any(action => WildcardPattern.ForAction(action).Matches(TrustPolicyDocument.AssumeRoleAction))).ToList();
        if (grants.Count == 0)
        {
            return new ReplicationFinding(TrustCheck, roleArn, missing, $"The role does not trust {service}: {consequence}.",
                $"Add-BackupRoleTrustPrincipal -RoleName {ReplicationInspector.RoleNameOf(roleArn)} -PrincipalArn {service}");
        }
        return grants.All(grant => grant.HasCondition)
            ? new ReplicationFinding(TrustCheck, roleArn, FindingOutcome.NotEvaluated, $"Trusts {service} only under a Condition, which was not evaluated.",
                $"Check that the Condition holds for {service} (e.g. aws:SourceAccount is the source account).")
            : new ReplicationFinding(TrustCheck, roleArn, FindingOutcome.Passed, $"Trusts {service}.");
    }

    /// <summary>Both accounts known and equal: the role's own policies are enough, no bucket policy is needed.</summary>
    public static bool SameAccount(string? sourceAccount, string? backupAccount) => sourceAccount is not null && sourceAccount == backupAccount;

    /// <summary>A backup bucket without a bucket policy: a refusal across accounts, nothing to say within one (unknown: a Warning).</summary>
    public static ReplicationFinding NoBucketPolicy(ReviewedRule rule, string roleArn, string? sourceAccount, string? backupAccount)
    {
        var crossAccount = sourceAccount is not null && backupAccount is not null;
        return new ReplicationFinding(ReplicationPermissions.BucketCheck, $"s3://{rule.BackupBucket}", crossAccount ? FindingOutcome.Failed : FindingOutcome.Warning,
            crossAccount
                ? $"The backup bucket (account {backupAccount}) has no bucket policy: it refuses the role of account {sourceAccount}."
                : "The backup bucket has no bucket policy: enough only if it is in the role's own account (the accounts are not known here).",
            "Give the backup bucket a policy with: " + string.Join(", ", ReplicationPermissions.OfBackupBucketPolicy(rule).Where(need => need.Required)
                .Select(need => ReplicationPermissions.BucketStatement(need, roleArn))));
    }

    /// <summary>
    /// Who owns the replicas (<paramref name="ownership"/>: the backup bucket's Object Ownership; null where the server
    /// reports none). By default the source object's owner owns its replica (AWS, "Changing the replica owner"): across
    /// accounts the backup account then cannot manage them, which works but is not what a backup wants (a Warning).
    /// </summary>
    public static ReplicationFinding Ownership(string? ownership, ReviewedRule rule, string? sourceAccount, string? backupAccount)
    {
        var target = $"s3://{rule.BackupBucket}";
        if (ownership is null)
        {
            return new ReplicationFinding(OwnershipCheck, target, FindingOutcome.Skipped,
                "This server answers GetBucketOwnershipControls without a setting (Ceph RGW does); on AWS every bucket has one.");
        }
        if (ownership == "BucketOwnerEnforced")
        {
            return new ReplicationFinding(OwnershipCheck, target, FindingOutcome.Passed, "BucketOwnerEnforced: the backup account owns every replica.");
        }
        if (rule.Rule.OwnerOverride)
        {
            return new ReplicationFinding(OwnershipCheck, target, FindingOutcome.Passed, $"{ownership}, and the rule's owner override gives the replicas to the backup account.");
        }
        if (SameAccount(sourceAccount, backupAccount))
        {
            return new ReplicationFinding(OwnershipCheck, target, FindingOutcome.Passed, $"{ownership}; the buckets are in one account, which owns the replicas.");
        }
        return new ReplicationFinding(OwnershipCheck, target, FindingOutcome.Warning,
            $"{ownership} without the rule's owner override: the replicas belong to the source account{(sourceAccount is null ? " (where it is another account)" : $" {sourceAccount}")}, " +
            "so the backup account cannot manage or protect them, and a compromised source account still owns its backup.",
            $"aws s3api put-bucket-ownership-controls --bucket {rule.BackupBucket} --ownership-controls \"Rules=[{{ObjectOwnership=BucketOwnerEnforced}}]\" " +
            "(with the backup account's credentials)");
    }

}
