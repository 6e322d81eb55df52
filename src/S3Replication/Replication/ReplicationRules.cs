using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Records;

namespace S3Replication.Replication;

#pragma warning disable CS0618 // V1 rules carry a rule-level Prefix: read it to keep such rules intact and to detect them.
/// <summary>Copies, describes and flattens the SDK's replication rule model.</summary>
internal static class ReplicationRules
{
    /// <summary>A deep copy, so an edit never changes the configuration that was read (and shown as "before").</summary>
    public static ReplicationRule Copy(ReplicationRule rule) => new()
    {
        Id = rule.Id,
        Priority = rule.Priority,
        Prefix = rule.Prefix,
        Status = rule.Status,
        Filter = rule.Filter is null ? null : new ReplicationRuleFilter
        {
            Prefix = rule.Filter.Prefix,
            Tag = rule.Filter.Tag is null ? null : new Tag { Key = rule.Filter.Tag.Key, Value = rule.Filter.Tag.Value },
            And = rule.Filter.And is null ? null : new ReplicationRuleAndOperator
            {
                Prefix = rule.Filter.And.Prefix,
                Tags = rule.Filter.And.Tags?.Select(tag => new Tag { Key = tag.Key, Value = tag.Value }).ToList(),
            },
        },
        DeleteMarkerReplication = rule.DeleteMarkerReplication is null ? null : new DeleteMarkerReplication { Status = rule.DeleteMarkerReplication.Status },
        ExistingObjectReplication = rule.ExistingObjectReplication is null ? null : new ExistingObjectReplication { Status = rule.ExistingObjectReplication.Status },
        SourceSelectionCriteria = rule.SourceSelectionCriteria is null ? null : new SourceSelectionCriteria
        {
            SseKmsEncryptedObjects = rule.SourceSelectionCriteria.SseKmsEncryptedObjects is null ? null
                : new SseKmsEncryptedObjects { SseKmsEncryptedObjectsStatus = rule.SourceSelectionCriteria.SseKmsEncryptedObjects.SseKmsEncryptedObjectsStatus },
            ReplicaModifications = rule.SourceSelectionCriteria.ReplicaModifications is null ? null
                : new ReplicaModifications { Status = rule.SourceSelectionCriteria.ReplicaModifications.Status },
        },
        Destination = rule.Destination is null ? null : new ReplicationDestination
        {
            BucketArn = rule.Destination.BucketArn,
            AccountId = rule.Destination.AccountId,
            StorageClass = rule.Destination.StorageClass,
            AccessControlTranslation = rule.Destination.AccessControlTranslation is null ? null
                : new AccessControlTranslation { Owner = rule.Destination.AccessControlTranslation.Owner },
            EncryptionConfiguration = rule.Destination.EncryptionConfiguration is null ? null
                : new EncryptionConfiguration { ReplicaKmsKeyID = rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID },
            Metrics = rule.Destination.Metrics is null ? null : new Metrics
            {
                Status = rule.Destination.Metrics.Status,
                EventThreshold = rule.Destination.Metrics.EventThreshold is null ? null : new ReplicationTimeValue { Minutes = rule.Destination.Metrics.EventThreshold.Minutes },
            },
            ReplicationTime = rule.Destination.ReplicationTime is null ? null : new ReplicationTime
            {
                Status = rule.Destination.ReplicationTime.Status,
                Time = rule.Destination.ReplicationTime.Time is null ? null : new ReplicationTimeValue { Minutes = rule.Destination.ReplicationTime.Time.Minutes },
            },
        },
    };

#pragma warning restore CS0618
    public static string DestinationBucket(ReplicationRule rule) =>
        ReplicationRuleSpec.BucketName(rule.Destination?.BucketArn ?? "");

    /// <summary>One line per rule for -WhatIf and verbose output; equal lines mean equal rules for every field we model.</summary>
    public static string Describe(ReplicationRule rule)
    {
        var (prefix, tags) = RuleFilters.Read(rule);
        var parts = new List<string>
        {
            $"{rule.Id}: {rule.Status?.Value ?? "?"}",
            rule.Priority is null ? "no priority" : $"priority {rule.Priority}",
            rule.Filter is not null ? $"prefix '{prefix}'" : prefix is null ? "no filter (all objects)" : $"V1 prefix '{prefix}'",
        };
        if (tags.Count > 0)
        {
            parts.Add("tags " + string.Join(",", tags.OrderBy(tag => tag.Key).Select(tag => $"{tag.Key}={tag.Value}")));
        }
        var destination = rule.Destination;
        parts.Add($"-> {destination?.BucketArn} (account {destination?.AccountId ?? "same"})");
        if (destination?.StorageClass is { } storageClass)
        {
            parts.Add($"storage {storageClass.Value}");
        }
        parts.Add($"delete markers {rule.DeleteMarkerReplication?.Status?.Value ?? "unset"}");
        if (destination?.AccessControlTranslation?.Owner is { } owner)
        {
            parts.Add($"owner {owner.Value}");
        }
        if (destination?.EncryptionConfiguration?.ReplicaKmsKeyID is { } kms)
        {
            parts.Add($"replica KMS key {kms}");
        }
        if (rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.SseKmsEncryptedObjectsStatus is { } sse)
        {
            parts.Add($"SSE-KMS objects {sse.Value}");
        }
        if (rule.SourceSelectionCriteria?.ReplicaModifications?.Status is { } replicaModifications)
        {
            parts.Add($"replica modifications {replicaModifications.Value}");
        }
        if (rule.ExistingObjectReplication?.Status is { } existing)
        {
            parts.Add($"existing objects {existing.Value}");
        }
        if (destination?.ReplicationTime is { } time)
        {
            parts.Add($"RTC {time.Status?.Value} {time.Time?.Minutes}min");
        }
        if (destination?.Metrics is { } metrics)
        {
            parts.Add($"metrics {metrics.Status?.Value} {metrics.EventThreshold?.Minutes}min");
        }
        return string.Join(", ", parts);
    }

    /// <summary>
    /// A rule's fields that every S3 server stores (Ceph RGW drops Role, Account, DeleteMarkerReplication and KMS
    /// settings), or null when the configuration lacks the rule: what a read-back must show after our write.
    /// </summary>
    public static string? CoreOf(ReplicationConfiguration? configuration, string ruleId)
    {
        var rule = configuration?.Rules?.FirstOrDefault(candidate => candidate.Id == ruleId);
        if (rule is null)
        {
            return null;
        }
        var (prefix, tags) = RuleFilters.Read(rule);
        return string.Join("|", rule.Id, rule.Priority, rule.Status?.Value, prefix ?? "",
            string.Join(",", tags.OrderBy(tag => tag.Key, StringComparer.Ordinal).Select(tag => $"{tag.Key}={tag.Value}")),
            rule.Destination?.BucketArn, rule.Destination?.StorageClass?.Value);
    }

    public static IReadOnlyList<string> Describe(ReplicationConfiguration? configuration) =>
        configuration is null || (configuration.Rules?.Count ?? 0) == 0
            ? new[] { "(no replication configuration)" }
            : new[] { $"Role: {(string.IsNullOrEmpty(configuration.Role) ? "(not reported)" : configuration.Role)}" }
                .Concat(configuration.Rules!.Select(Describe)).ToList();

    public static ReplicationRuleRecord ToRecord(string bucket, string? roleArn, ReplicationRule rule)
    {
        var (prefix, tags) = RuleFilters.Read(rule);
        var table = new Hashtable();
        foreach (var tag in tags)
        {
            table[tag.Key] = tag.Value;
        }
        return new ReplicationRuleRecord
        {
            Bucket = bucket,
            RuleId = rule.Id ?? "",
            Status = rule.Status?.Value ?? "",
            Priority = rule.Priority,
            Prefix = prefix,
            Tags = table,
            DestinationBucket = DestinationBucket(rule),
            DestinationAccountId = rule.Destination?.AccountId,
            RoleArn = string.IsNullOrEmpty(roleArn) ? null : roleArn,
            StorageClass = rule.Destination?.StorageClass?.Value,
            DeleteMarkerReplication = rule.DeleteMarkerReplication?.Status == DeleteMarkerReplicationStatus.Enabled,
            OwnerOverride = rule.Destination?.AccessControlTranslation?.Owner == OwnerOverride.Destination,
            ReplicaKmsKeyId = rule.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID,
            SseKmsEncryptedObjects = rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.SseKmsEncryptedObjectsStatus == SseKmsEncryptedObjectsStatus.Enabled,
            ExistingObjectReplication = rule.ExistingObjectReplication?.Status == ExistingObjectReplicationStatus.Enabled,
        };
    }
}
