using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace S3Replication.Diagnostics;

/// <summary>One sampled source object: its latest version's replication status (x-amz-replication-status) and encryption.</summary>
internal sealed record SampledObject(string Key, string? VersionId, DateTime LastModified, string Status, bool SseKms, string? KmsKeyId);

/// <summary>What the newest source objects' replication statuses say. Pure.</summary>
internal static class ReplicationSample
{
    public const string Check = "Sample";
    private const int KeysShown = 5;

    /// <summary>S3 sends COMPLETED (botocore's model and MinIO also know COMPLETE); one spelling per state, NONE when absent.</summary>
    public static string NormalizeStatus(string? status) => status?.ToUpperInvariant() switch
    {
        null or "" => "NONE",
        "COMPLETE" or "COMPLETED" => "COMPLETED",
        var other => other,
    };

    public static IReadOnlyList<ReplicationFinding> Findings(string sourceBucket, ReviewedRule rule, IReadOnlyList<SampledObject> sample, DateTime now,
        TimeSpan pendingThreshold)
    {
        var target = $"s3://{sourceBucket}/{(rule.WholeBucket ? "" : rule.Rule.Prefix)}";
        if (sample.Count == 0)
        {
            return new[]
            {
                new ReplicationFinding(Check, target, FindingOutcome.Skipped, $"No objects {(rule.WholeBucket ? "in the bucket" : "under the rule's prefix")} to sample.",
                    "-Canary writes one and waits for its replica."),
            };
        }
        var counts = string.Join(", ", sample.GroupBy(item => item.Status).OrderBy(group => group.Key, StringComparer.Ordinal).Select(group => $"{group.Count()} {group.Key}"));
        var described = $"The {sample.Count} newest object(s) ({counts})";
        var findings = new List<ReplicationFinding>();
        var failed = sample.Where(item => item.Status == "FAILED").ToList();
        if (failed.Count > 0)
        {
            findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Failed,
                $"{described}: {failed.Count} FAILED to replicate: {Keys(failed)}.",
                $"Fix what the other findings name, then replicate them again: {BatchReplication(sourceBucket, "FAILED")}"));
        }
        var stale = sample.Where(item => item.Status == "PENDING" && now - item.LastModified > pendingThreshold).ToList();
        if (stale.Count > 0)
        {
            var oldest = stale.Min(item => item.LastModified);
            findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Warning,
                $"{described}: {stale.Count} PENDING for more than {Describe(pendingThreshold)} (the oldest since {oldest.ToString("u", CultureInfo.InvariantCulture)}): {Keys(stale)}.",
                "S3 replicates most objects within 15 minutes; a long backlog means the role or the backup bucket refuses, or throttling. " +
                "Look at the other findings; Replication Time Control metrics show the backlog in CloudWatch."));
        }
        var none = sample.Where(item => item.Status == "NONE").ToList();
        if (none.Count > 0)
        {
            findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Warning,
                $"{described}: {none.Count} without a replication status, so never replicated: written before the rule{(rule.Rule.Tags.Count > 0 ? ", or without the rule's tags" : "")}: {Keys(none)}.",
                $"Replicate what existed before the rule: {BatchReplication(sourceBucket, "NONE")}"));
        }
        if (findings.Count == 0)
        {
            findings.Add(new ReplicationFinding(Check, target, FindingOutcome.Passed, $"{described}: none failed or pending longer than {Describe(pendingThreshold)}."));
        }
        return findings;
    }

    private static string BatchReplication(string sourceBucket, string status) =>
        $"Start-S3BackupBatchReplication -SourceBucket {sourceBucket} -ReplicationStatus {status} -WorkBucket <bucket for manifests and reports> " +
        "-RoleArn <role trusting batchoperations.s3.amazonaws.com>";

    private static string Keys(IReadOnlyList<SampledObject> items) =>
        string.Join(", ", items.Take(KeysShown).Select(item => item.Key)) + (items.Count > KeysShown ? $" and {items.Count - KeysShown} more" : "");

    internal static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds:0.#} s";
}
