using System;
using System.Collections.Generic;
using System.Linq;
using Amazon.S3.Model;

namespace S3Replication.Replication;

/// <summary>Which way the replication configurations say two buckets relate, for a restore that names them.</summary>
internal enum Orientation
{
    /// <summary>Neither bucket's configuration names the other (or could not be read).</summary>
    Unknown,

    /// <summary>The source bucket replicates to the backup bucket: the restore goes the right way.</summary>
    AsGiven,

    /// <summary>The "backup" replicates to the "source": the two were most likely swapped.</summary>
    Reversed,
}

internal static class BucketOrientation
{
    /// <summary>Pure: from the two buckets' replication configurations (null: none, or unreadable).</summary>
    public static Orientation Of(string backupBucket, string sourceBucket, ReplicationConfiguration? backupConfiguration, ReplicationConfiguration? sourceConfiguration)
    {
        if (DestinationsOf(sourceConfiguration).Contains(backupBucket, StringComparer.Ordinal))
        {
            return Orientation.AsGiven;
        }
        return DestinationsOf(backupConfiguration).Contains(sourceBucket, StringComparer.Ordinal) ? Orientation.Reversed : Orientation.Unknown;
    }

    /// <summary>
    /// The account a source bucket's rules send <paramref name="backupBucket"/>'s replicas to (the rule's destination
    /// account: the backup's owner in the runbook's cross-account set-up), or null where no rule names it with one.
    /// </summary>
    public static string? BackupAccountOf(string backupBucket, ReplicationConfiguration? sourceConfiguration) =>
        (sourceConfiguration?.Rules ?? new List<ReplicationRule>())
            .Where(rule => ReplicationRules.DestinationBucket(rule) == backupBucket)
            .Select(rule => rule.Destination?.AccountId)
            .FirstOrDefault(account => !string.IsNullOrEmpty(account));

    private static IEnumerable<string> DestinationsOf(ReplicationConfiguration? configuration) =>
        (configuration?.Rules ?? new List<ReplicationRule>()).Select(ReplicationRules.DestinationBucket);
}
