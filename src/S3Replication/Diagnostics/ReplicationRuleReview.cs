using System;
using System.Collections.Generic;
using System.Linq;
using S3Replication.Records;

namespace S3Replication.Diagnostics;

/// <summary>The rule Test-S3BackupReplication goes by, and the role it checks (null: none known).</summary>
internal sealed record ReviewedRule(ReplicationRuleRecord Rule, string BackupBucket, string? RoleArn, bool Enabled, bool WholeBucket)
{
    /// <summary>Where the rule's objects are: arn:aws:s3:::bucket/prefix*, the resource its permissions must cover.</summary>
    public string ObjectsOf(string bucket) => $"arn:aws:s3:::{bucket}/{(WholeBucket ? "" : Rule.Prefix)}*";
}

/// <summary>
/// Reads a bucket's replication rules as a backup needs them: a rule to the backup bucket, enabled, over the whole
/// bucket, to an archive class or not, with a role. Pure: the rules come in as records, the findings go out.
/// </summary>
internal static class ReplicationRuleReview
{
    public const string Check = "Rule";

    private static readonly string[] ArchiveClasses = { "GLACIER", "DEEP_ARCHIVE" };

    /// <summary>
    /// <paramref name="configuredRole"/> is the configuration's Role ("" or null where the server did not keep it: AWS
    /// always does, Ceph RGW drops it); <paramref name="roleArnGiven"/> is -RoleArn, checked where the configuration names none.
    /// </summary>
    public static (IReadOnlyList<ReplicationFinding> Findings, ReviewedRule? Rule) Review(string sourceBucket, string? backupBucket,
        IReadOnlyList<ReplicationRuleRecord> rules, string? configuredRole, string? roleArnGiven)
    {
        var findings = new List<ReplicationFinding>();
        var source = $"s3://{sourceBucket}";
        if (rules.Count == 0)
        {
            findings.Add(new ReplicationFinding(Check, source, FindingOutcome.Failed, $"{source} has no replication configuration: nothing is replicated.",
                NewRuleHint(sourceBucket, backupBucket)));
            return (findings, null);
        }
        var destinations = rules.Select(rule => rule.DestinationBucket ?? "").Where(name => name.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (backupBucket is null && destinations.Count != 1)
        {
            findings.Add(new ReplicationFinding(Check, source, FindingOutcome.Error,
                $"The rules of {source} replicate to {(destinations.Count == 0 ? "no bucket" : string.Join(", ", destinations.Select(name => $"s3://{name}")))}.",
                "Give -BackupBucket to say which of them is the backup."));
            return (findings, null);
        }
        var backup = backupBucket ?? destinations[0];
        var toBackup = rules.Where(rule => rule.DestinationBucket == backup).OrderByDescending(rule => rule.Priority ?? 0).ToList();
        if (toBackup.Count == 0)
        {
            findings.Add(new ReplicationFinding(Check, source, FindingOutcome.Failed,
                $"No rule of {source} replicates to s3://{backup} (its rules go to {string.Join(", ", destinations.Select(name => $"s3://{name}"))}).",
                destinations.Count == 1
                    ? $"If you meant s3://{destinations[0]}: Test-S3BackupReplication -SourceBucket {sourceBucket} -BackupBucket {destinations[0]}. " +
                      $"To replicate to s3://{backup} too: {NewRuleHint(sourceBucket, backup)}"
                    : NewRuleHint(sourceBucket, backup)));
            return (findings, null);
        }
        var enabled = toBackup.Where(rule => rule.Status == "Enabled").ToList();
        var deciding = enabled.FirstOrDefault() ?? toBackup[0];
        var whole = enabled.Any(rule => string.IsNullOrEmpty(rule.Prefix) && rule.Tags.Count == 0);
        if (enabled.Count == 0)
        {
            findings.Add(new ReplicationFinding(Check, $"rule {deciding.RuleId}", FindingOutcome.Failed,
                $"{Describe(toBackup)} {(toBackup.Count == 1 ? "is" : "are")} disabled: nothing is replicated to s3://{backup}.",
                $"Get-S3BackupReplicationRule -Bucket {sourceBucket} -RuleId {deciding.RuleId} | Set-S3BackupReplicationRule -Enabled"));
        }
        else
        {
            findings.Add(new ReplicationFinding(Check, $"rule {deciding.RuleId}", FindingOutcome.Passed, DescribeRule(deciding, backup)));
            if (!whole)
            {
                findings.Add(new ReplicationFinding(Check, $"rule {deciding.RuleId} filter", FindingOutcome.Warning,
                    $"{Describe(enabled)} replicate{(enabled.Count == 1 ? "s" : "")} only {string.Join("; ", enabled.Select(FilterOf))}: other objects of {source} are not backed up.",
                    deciding.Tags.Count == 0
                        ? $"If the whole bucket should be backed up: Get-S3BackupReplicationRule -Bucket {sourceBucket} -RuleId {deciding.RuleId} | Set-S3BackupReplicationRule -Prefix ''"
                        : $"If the whole bucket should be backed up, add a rule without -Prefix and -Tag: {NewRuleHint(sourceBucket, backup)}"));
            }
            if (deciding.StorageClass is { } storageClass && ArchiveClasses.Contains(storageClass, StringComparer.Ordinal))
            {
                findings.Add(new ReplicationFinding(Check, $"rule {deciding.RuleId} storage class", FindingOutcome.Warning,
                    $"Replicas are stored as {storageClass}: a restore must first restore them from archive (hours, with retrieval charges).",
                    $"If restores should be quick: Get-S3BackupReplicationRule -Bucket {sourceBucket} -RuleId {deciding.RuleId} | Set-S3BackupReplicationRule -StorageClass STANDARD_IA"));
            }
        }
        var role = string.IsNullOrEmpty(configuredRole) ? roleArnGiven : configuredRole;
        if (!string.IsNullOrEmpty(configuredRole) && roleArnGiven is not null && !string.Equals(configuredRole, roleArnGiven, StringComparison.Ordinal))
        {
            findings.Add(new ReplicationFinding(Check, "role", FindingOutcome.Warning,
                $"The configuration names the role {configuredRole}, not -RoleArn {roleArnGiven}: S3 replicates as {configuredRole}, so that one is checked.",
                "Leave out -RoleArn, or correct the configuration's role."));
        }
        return (findings, new ReviewedRule(deciding, backup, role, enabled.Count > 0, whole));
    }

    /// <summary>
    /// The New-S3BackupReplicationRule -Force command that writes the rule again as it is, plus <paramref name="change"/>:
    /// every setting the cmdlet takes is carried, so the fix changes only what it names.
    /// </summary>
    public static string RecreateCommand(string sourceBucket, ReviewedRule reviewed, string change)
    {
        var rule = reviewed.Rule;
        var parts = new List<string>
        {
            $"New-S3BackupReplicationRule -SourceBucket {sourceBucket} -DestinationBucket {reviewed.BackupBucket} -RuleId '{rule.RuleId}'",
            $"-DestinationAccountId {(string.IsNullOrEmpty(rule.DestinationAccountId) ? "<backup account>" : rule.DestinationAccountId)}",
            $"-RoleArn {reviewed.RoleArn ?? "<replication role ARN>"}",
        };
        if (rule.Priority is { } priority)
        {
            parts.Add($"-Priority {priority}");
        }
        if (!string.IsNullOrEmpty(rule.Prefix))
        {
            parts.Add($"-Prefix '{rule.Prefix!.Replace("'", "''")}'");
        }
        if (rule.Tags.Count > 0)
        {
            parts.Add("-Tag @{ " + string.Join("; ", rule.Tags.Keys.Cast<object>().Select(key => $"'{key}' = '{rule.Tags[key]}'").OrderBy(tag => tag, StringComparer.Ordinal)) + " }");
        }
        if (rule.StorageClass is { } storageClass)
        {
            parts.Add($"-StorageClass {storageClass}");
        }
        if (rule.DeleteMarkerReplication)
        {
            parts.Add("-DeleteMarkerReplication");
        }
        if (rule.OwnerOverride)
        {
            parts.Add("-OwnerOverride");
        }
        if (rule.Status != "Enabled")
        {
            parts.Add("-Disabled");
        }
        parts.Add(change);
        parts.Add("-Force");
        return string.Join(" ", parts);
    }

    private static string NewRuleHint(string sourceBucket, string? backupBucket) =>
        $"New-S3BackupReplicationRule -SourceBucket {sourceBucket} -DestinationBucket {backupBucket ?? "<backup bucket>"} " +
        "-DestinationAccountId <backup account> -RoleName <replication role> -EnableVersioning";

    private static string Describe(IReadOnlyList<ReplicationRuleRecord> rules) =>
        (rules.Count == 1 ? "Rule " : "Rules ") + string.Join(", ", rules.Select(rule => rule.RuleId));

    private static string FilterOf(ReplicationRuleRecord rule)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(rule.Prefix))
        {
            parts.Add($"keys under '{rule.Prefix}'");
        }
        if (rule.Tags.Count > 0)
        {
            parts.Add("objects tagged " + string.Join(" and ", rule.Tags.Keys.Cast<object>().Select(key => $"{key}={rule.Tags[key]}").OrderBy(tag => tag, StringComparer.Ordinal)));
        }
        return string.Join(" that are ", parts);
    }

    private static string DescribeRule(ReplicationRuleRecord rule, string backup) =>
        $"Enabled, {(string.IsNullOrEmpty(rule.Prefix) && rule.Tags.Count == 0 ? "whole bucket" : FilterOf(rule))} -> s3://{backup}" +
        (rule.DestinationAccountId is { Length: > 0 } account ? $" in account {account}" : "") +
        $", storage class {rule.StorageClass ?? "as the source's"}, delete markers {(rule.DeleteMarkerReplication ? "replicated" : "not replicated")}" +
        $", owner override {(rule.OwnerOverride ? "on" : "off")}" +
        (rule.SseKmsEncryptedObjects ? $", SSE-KMS objects with key {rule.ReplicaKmsKeyId ?? "(none)"}" : "");
}
