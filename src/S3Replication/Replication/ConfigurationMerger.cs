using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Replication;

/// <summary>Changes to one rule requested by Set-S3BackupReplicationRule; null means "leave as is".</summary>
internal sealed record RuleChanges(bool? Enabled = null, int? Priority = null, string? Prefix = null, string? StorageClass = null, bool? DeleteMarkerReplication = null)
{
    public bool IsEmpty => this == new RuleChanges();

    /// <summary>Checks the values themselves, before anything is read or sent.</summary>
    public void Validate()
    {
        if (Priority is < 0)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument, "The priority must be 0 or more.", Priority);
        }
        if (Prefix is { Length: > ReplicationRuleSpec.MaxPrefixLength })
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"The prefix must be at most {ReplicationRuleSpec.MaxPrefixLength} characters.", Prefix);
        }
        if (StorageClass is not null && !ReplicationRuleSpec.StorageClasses.Contains(StorageClass))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"'{StorageClass}' is not a replication storage class; use one of {string.Join(", ", ReplicationRuleSpec.StorageClasses)}.", StorageClass);
        }
    }
}

/// <summary>
/// Edits a replication configuration the way S3's API cannot: one rule at a time. The S3 API (and every peer tool)
/// replaces the whole configuration, so adding a rule with them silently deletes the others. Here every rule not
/// named is carried over as the very object that was read, the configuration's role is kept, and the input is never
/// modified. Pure: no I/O.
/// </summary>
internal static class ConfigurationMerger
{
    /// <summary>S3's limit on rules in one replication configuration.</summary>
    public const int MaxRules = 1000;

    public static ReplicationConfiguration Add(ReplicationConfiguration? existing, ReplicationRuleSpec spec, bool replaceExisting)
    {
        spec.Validate();
        var rules = existing?.Rules ?? new List<ReplicationRule>();
        RequireV2Schema(rules, spec.SourceBucket);

        var role = string.IsNullOrEmpty(existing?.Role) ? spec.RoleArn : existing!.Role;
        if (role != spec.RoleArn)
        {
            throw new S3BackupException(ErrorId.RoleConflict, ErrorCategory.InvalidOperation,
                $"Bucket {spec.SourceBucket} replicates with role {role}, and all rules of a bucket share one role. " +
                $"Use -RoleArn {role}, or change the configuration's role deliberately first. Nothing was changed.", spec.RoleArn);
        }

        var index = rules.FindIndex(rule => rule.Id == spec.RuleId);
        if (index >= 0 && !replaceExisting)
        {
            throw new S3BackupException(ErrorId.RuleExists, ErrorCategory.ResourceExists,
                $"Bucket {spec.SourceBucket} already has a replication rule '{spec.RuleId}'. Use -Force to replace it, or -RuleId to add another. Nothing was changed.",
                spec.RuleId);
        }

        var others = rules.Where(rule => rule.Id != spec.RuleId).ToList();
        var priority = spec.Priority ?? (others.Count == 0 ? 1 : others.Max(rule => rule.Priority ?? 0) + 1);
        RequireUniquePriority(others, priority, spec.RuleId, spec.SourceBucket);
        if (others.Count + 1 > MaxRules)
        {
            throw new S3BackupException(ErrorId.TooManyRules, ErrorCategory.LimitsExceeded,
                $"Bucket {spec.SourceBucket} already has {others.Count} replication rules; S3 allows {MaxRules}. Nothing was changed.", spec.SourceBucket);
        }

        var result = new List<ReplicationRule>(rules);
        var added = spec.ToRule(priority);
        if (index >= 0)
        {
            result[index] = added;
        }
        else
        {
            result.Add(added);
        }
        return new ReplicationConfiguration { Role = role, Rules = result };
    }

    public static ReplicationConfiguration Update(ReplicationConfiguration? existing, string bucket, string ruleId, RuleChanges changes)
    {
        changes.Validate();
        var rules = existing?.Rules ?? new List<ReplicationRule>();
        var index = IndexOf(rules, bucket, ruleId);
        var rule = ReplicationRules.Copy(rules[index]);
        if (changes.Enabled is { } enabled)
        {
            rule.Status = enabled ? ReplicationRuleStatus.Enabled : ReplicationRuleStatus.Disabled;
        }
        if (changes.Priority is { } priority)
        {
            RequireUniquePriority(rules.Where((_, position) => position != index), priority, ruleId, bucket);
            rule.Priority = priority;
        }
        if (changes.Prefix is { } prefix)
        {
            RequireV2Schema(new[] { rule }, bucket);
            rule.Filter = RuleFilters.Build(prefix, RuleFilters.Read(rule).Tags);
        }
        if (changes.StorageClass is { } storageClass)
        {
            rule.Destination ??= new ReplicationDestination();
            rule.Destination.StorageClass = S3StorageClass.FindValue(storageClass);
        }
        if (changes.DeleteMarkerReplication is { } deleteMarkers)
        {
            RequireV2Schema(new[] { rule }, bucket);
            rule.DeleteMarkerReplication = new DeleteMarkerReplication
            {
                Status = deleteMarkers ? DeleteMarkerReplicationStatus.Enabled : DeleteMarkerReplicationStatus.Disabled,
            };
        }

        var result = new List<ReplicationRule>(rules) { [index] = rule };
        return new ReplicationConfiguration { Role = existing!.Role, Rules = result };
    }

    /// <summary>The configuration without the rule, or null when it was the last one (the caller deletes the configuration).</summary>
    public static ReplicationConfiguration? Remove(ReplicationConfiguration? existing, string bucket, string ruleId)
    {
        var rules = existing?.Rules ?? new List<ReplicationRule>();
        var index = IndexOf(rules, bucket, ruleId);
        if (rules.Count == 1)
        {
            return null;
        }
        var result = new List<ReplicationRule>(rules);
        result.RemoveAt(index);
        return new ReplicationConfiguration { Role = existing!.Role, Rules = result };
    }

    private static int IndexOf(List<ReplicationRule> rules, string bucket, string ruleId)
    {
        var index = rules.FindIndex(rule => rule.Id == ruleId);
        if (index < 0)
        {
            var known = rules.Count == 0 ? "it has no replication rules" : "its rules are " + string.Join(", ", rules.Select(rule => rule.Id));
            throw new S3BackupException(ErrorId.RuleNotFound, ErrorCategory.ObjectNotFound,
                $"Bucket {bucket} has no replication rule '{ruleId}' ({known}). Nothing was changed.", ruleId);
        }
        return index;
    }

    private static void RequireUniquePriority(IEnumerable<ReplicationRule> others, int priority, string ruleId, string bucket)
    {
        var clash = others.FirstOrDefault(rule => rule.Priority == priority);
        if (clash is not null)
        {
            throw new S3BackupException(ErrorId.DuplicatePriority, ErrorCategory.InvalidArgument,
                $"Rule '{clash.Id}' of bucket {bucket} already has priority {priority.ToString(CultureInfo.InvariantCulture)}; give rule '{ruleId}' another -Priority. Nothing was changed.",
                priority);
        }
    }

#pragma warning disable CS0618 // V1 rules carry a rule-level Prefix: read it to keep such rules intact and to detect them.
    /// <summary>
    /// V1 rules (a rule-level Prefix, no Filter) cannot share a configuration with V2 rules, and converting them
    /// would change their delete-marker behaviour, so that is left to the operator.
    /// </summary>
    private static void RequireV2Schema(IEnumerable<ReplicationRule> rules, string bucket)
    {
        var legacy = rules.FirstOrDefault(rule => rule.Filter is null && rule.Prefix is not null);
        if (legacy is not null)
        {
            throw new S3BackupException(ErrorId.UnsupportedReplicationSchema, ErrorCategory.InvalidOperation,
                $"Rule '{legacy.Id}' of bucket {bucket} uses the older V1 schema (a Prefix without a Filter), which cannot be mixed with " +
                "V2 rules. Rewrite it with a Filter (and an explicit DeleteMarkerReplication) first. Nothing was changed.", legacy.Id);
        }
    }
#pragma warning restore CS0618
}
