using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Session;

namespace S3Replication.Replication;

/// <summary>A backup rule as the operator asks for it, validated before anything is read or sent.</summary>
internal sealed record ReplicationRuleSpec(
    string SourceBucket,
    string DestinationBucket,
    string DestinationAccountId,
    string RoleArn,
    string RuleId,
    string? Prefix,
    IReadOnlyDictionary<string, string> Tags,
    int? Priority,
    string? StorageClass,
    bool DeleteMarkerReplication,
    bool OwnerOverride,
    string? ReplicaKmsKeyId,
    bool Disabled)
{
    /// <summary>The runbook's rule ID: it says what the rule is for.</summary>
    public const string DefaultRuleId = "ReplicateToBackup";

    public static readonly string[] StorageClasses =
    {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
    };

    private static readonly Regex AccountIdPattern = new(@"^\d{12}$", RegexOptions.CultureInvariant);
    private static readonly Regex KmsKeyArnPattern =
        new(@"^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-fA-F-]{36}|key/mrk-[0-9a-f]{32}|alias/[\w/.-]+)$", RegexOptions.CultureInvariant);

    public const int MaxRuleIdLength = 255;
    public const int MaxPrefixLength = 1024;
    public const int MaxTags = 10;

    public void Validate()
    {
        ValidateShape();
        if (!AwsNames.IsRoleArn(RoleArn))
        {
            throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidArgument,
                $"'{RoleArn}' is not a role ARN; expected arn:aws:iam::<12-digit account>:role/<name>.", RoleArn);
        }
    }

    /// <summary>Everything but the role, which -RoleName only yields after asking who the caller is.</summary>
    public void ValidateShape()
    {
        RequireBucket(SourceBucket, "source");
        RequireBucket(DestinationBucket, "destination");
        Require(AccountIdPattern.IsMatch(DestinationAccountId), DestinationAccountId,
            $"'{DestinationAccountId}' is not an AWS account id; give the backup account's 12 digits, e.g. 123456789012.");
        Require(RuleId.Trim().Length > 0 && RuleId.Length <= MaxRuleIdLength, RuleId, $"The rule ID must be 1 to {MaxRuleIdLength} characters.");
        Require((Prefix?.Length ?? 0) <= MaxPrefixLength, Prefix, $"The prefix must be at most {MaxPrefixLength} characters.");
        Require(Tags.Count <= MaxTags, Tags, $"A rule filter takes at most {MaxTags} tags.");
        foreach (var tag in Tags)
        {
            Require(tag.Key.Length is > 0 and <= 128 && tag.Value.Length <= 256, tag.Key,
                $"Tag '{tag.Key}' is invalid: keys are 1 to 128 characters, values at most 256.");
        }
        Require(Priority is null or >= 0, Priority, "The priority must be 0 or more.");
        Require(StorageClass is null || StorageClasses.Contains(StorageClass), StorageClass,
            $"'{StorageClass}' is not a replication storage class; use one of {string.Join(", ", StorageClasses)}.");
        Require(ReplicaKmsKeyId is null || KmsKeyArnPattern.IsMatch(ReplicaKmsKeyId), ReplicaKmsKeyId,
            $"'{ReplicaKmsKeyId}' is not a KMS key or alias ARN in the destination's region (arn:aws:kms:<region>:<account>:key/<id>).");
    }

    /// <summary>The V2-schema rule S3 expects: Filter, Priority, DeleteMarkerReplication, destination ARN and account.</summary>
    public ReplicationRule ToRule(int priority) => new()
    {
        Id = RuleId,
        Priority = priority,
        Status = Disabled ? ReplicationRuleStatus.Disabled : ReplicationRuleStatus.Enabled,
        Filter = RuleFilters.Build(Prefix, Tags),
        DeleteMarkerReplication = new DeleteMarkerReplication
        {
            Status = DeleteMarkerReplication ? DeleteMarkerReplicationStatus.Enabled : DeleteMarkerReplicationStatus.Disabled,
        },
        SourceSelectionCriteria = ReplicaKmsKeyId is null
            ? null
            : new SourceSelectionCriteria { SseKmsEncryptedObjects = new SseKmsEncryptedObjects { SseKmsEncryptedObjectsStatus = SseKmsEncryptedObjectsStatus.Enabled } },
        Destination = new ReplicationDestination
        {
            BucketArn = "arn:aws:s3:::" + DestinationBucket,
            AccountId = DestinationAccountId,
            StorageClass = StorageClass is null ? null : S3StorageClass.FindValue(StorageClass),
            AccessControlTranslation = OwnerOverride ? new AccessControlTranslation { Owner = Amazon.S3.OwnerOverride.Destination } : null,
            EncryptionConfiguration = ReplicaKmsKeyId is null ? null : new EncryptionConfiguration { ReplicaKmsKeyID = ReplicaKmsKeyId },
        },
    };

    /// <summary>Accepts a bucket name or its ARN (arn:aws:s3:::name).</summary>
    public static string BucketName(string bucketOrArn)
    {
        const string arnPrefix = "arn:aws:s3:::";
        return bucketOrArn.StartsWith(arnPrefix, StringComparison.Ordinal) ? bucketOrArn.Substring(arnPrefix.Length) : bucketOrArn;
    }

    public static void RequireBucket(string bucket, string role)
    {
        if (!AwsNames.IsBucketName(bucket))
        {
            throw new S3BackupException(ErrorId.InvalidBucketName, ErrorCategory.InvalidArgument,
                $"'{bucket}' is not a valid {(role.Length > 0 ? role + " " : "")}bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.",
                bucket);
        }
    }

    private static void Require(bool condition, object? target, string message)
    {
        if (!condition)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument, message, target);
        }
    }
}
