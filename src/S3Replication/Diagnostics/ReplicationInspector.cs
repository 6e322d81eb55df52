using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Session;
using S3Replication.Transfer;
using S3Replication.Trust;

namespace S3Replication.Diagnostics;

/// <summary>
/// Reads what Test-S3BackupReplication checks: the rules, both buckets' versioning, the role's trust and permission
/// policies, the backup bucket's policy and ownership, the source's encryption and a sample of its newest objects.
/// Each read that fails becomes an Error finding, so every other check still runs and reports.
/// </summary>
internal sealed class ReplicationInspector
{
    public const string BatchServicePrincipal = Batch.BatchJobs.BatchServicePrincipal;
    public const string ReplicationServicePrincipal = "s3.amazonaws.com";
    private const int HeadsAtOnce = 8;

    /// <summary>What reading a role's trust and permission policies takes, said when IAM refuses it.</summary>
    internal const string IamReadHint = "The session needs iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, " +
        "iam:GetPolicy and iam:GetPolicyVersion on the role and its policies.";

    private readonly AwsSession _source;
    private readonly AwsSession? _backup;

    /// <param name="backup">A session in the backup bucket's account (-BackupSession); null: the backup-side checks that need one are skipped.</param>
    public ReplicationInspector(AwsSession source, AwsSession? backup)
    {
        _source = source;
        _backup = backup;
    }

    /// <summary>The session that reads the backup bucket: the backup account's where given, else the source's (which may be refused).</summary>
    public AwsSession BackupReader => _backup ?? _source;

    public bool HasBackupSession => _backup is not null;

    /// <summary>The bucket's rules as records and the configuration's role; BucketNotFound and refusals are thrown (nothing else can be checked).</summary>
    public async Task<(IReadOnlyList<ReplicationRuleRecord> Rules, string? Role)> RulesAsync(string sourceBucket, CancellationToken cancellationToken)
    {
        var configuration = await new ReplicationService(_source.S3).GetRequiringBucketAsync(sourceBucket, cancellationToken).ConfigureAwait(false);
        var rules = configuration?.Rules?.Select(rule => ReplicationRules.ToRecord(sourceBucket, configuration.Role, rule)).ToList() ?? new List<ReplicationRuleRecord>();
        return (rules, configuration?.Role);
    }

    public Task<IReadOnlyList<ReplicationFinding>> VersioningAsync(string bucket, bool isBackup, CancellationToken cancellationToken) =>
        GuardAsync("Versioning", $"s3://{bucket}", async () =>
        {
            var session = isBackup ? BackupReader : _source;
            string status;
            try
            {
                status = await new ReplicationService(session.S3).GetVersioningAsync(bucket, cancellationToken).ConfigureAwait(false);
            }
            catch (S3BackupException error) when (isBackup && !HasBackupSession && error.ErrorId == ErrorId.AccessDenied)
            {
                return One("Versioning", $"s3://{bucket}", FindingOutcome.Skipped, $"This session may not read the versioning of s3://{bucket} ({error.ErrorId}).",
                    "Give -BackupSession (a session in the backup account, e.g. Connect-S3Backup -ProfileName <backup profile> -PassThru).");
            }
            var side = isBackup ? "backup" : "source";
            return status == "Enabled"
                ? One("Versioning", $"s3://{bucket}", FindingOutcome.Passed, $"Enabled on the {side} bucket.")
                : One("Versioning", $"s3://{bucket}", FindingOutcome.Failed,
                    $"Versioning is {status} on the {side} bucket: S3 replication needs it enabled on both buckets{(isBackup ? ", and restores need the backup's versions" : "")}.",
                    $"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled" +
                    (isBackup ? " (with the backup account's credentials)" : ""));
        });

    /// <summary>The role trusts s3.amazonaws.com (replication) and batchoperations.s3.amazonaws.com (backfills of what existed before the rule).</summary>
    public Task<IReadOnlyList<ReplicationFinding>> TrustAsync(string roleArn, CancellationToken cancellationToken) =>
        GuardAsync("Trust", roleArn, async () =>
        {
            var roleName = RoleNameOf(roleArn);
            TrustPolicyDocument policy;
            try
            {
                policy = (await new TrustService(_source.Iam, _source.KnownIdentity?.Account, TrustService.DefaultSettleDelay).GetAsync(roleName, cancellationToken)
                    .ConfigureAwait(false)).Policy;
            }
            catch (S3BackupException error) when (error.ErrorId == ErrorId.RoleNotFound)
            {
                return One("Trust", roleArn, FindingOutcome.Failed, $"The role {roleName} does not exist in this session's account: S3 cannot replicate as it.",
                    "Give the replication rule a role that exists, or check -RoleArn and the session's profile.");
            }
            return new[]
            {
                ReplicationAccessReview.Trust(policy, roleArn, ReplicationServicePrincipal, FindingOutcome.Failed, "S3 cannot replicate as this role"),
                ReplicationAccessReview.Trust(policy, roleArn, BatchServicePrincipal, FindingOutcome.Warning,
                    "Start-S3BackupBatchReplication (replicating objects written before the rule, or FAILED ones) cannot run as this role"),
            };
        });

    /// <summary>The role's inline and attached policies against what replication needs.</summary>
    public Task<IReadOnlyList<ReplicationFinding>> RolePolicyAsync(string roleArn, IReadOnlyList<PermissionNeed> needs, CancellationToken cancellationToken) =>
        GuardAsync(ReplicationPermissions.RoleCheck, roleArn, async () =>
        {
            RolePolicySet read;
            try
            {
                read = await RolePolicies.ReadAsync(_source.Iam, RoleNameOf(roleArn), cancellationToken).ConfigureAwait(false);
            }
            catch (IamException error) when (error.Code == "NoSuchEntity")
            {
                return One(ReplicationPermissions.RoleCheck, roleArn, FindingOutcome.Skipped, "The role does not exist (see the Trust finding): it has no policies to read.");
            }
            var verdicts = needs.Select(need => (need, PolicyEvaluator.EvaluateIdentity(read.Policies, need.Action, need.Resource))).ToList();
            var findings = ReplicationPermissions.Findings(ReplicationPermissions.RoleCheck, $"the policies of role {RoleNameOf(roleArn)}", verdicts,
                ReplicationPermissions.RoleStatement);
            return read.AttachedNotRead is { } why
                ? findings.Append(new ReplicationFinding(ReplicationPermissions.RoleCheck, roleArn, FindingOutcome.Skipped,
                    $"Attached managed policies were not read: {why}. The inline policies were evaluated.")).ToList()
                : findings;
        });

    /// <summary>
    /// A backup bucket in another account must grant the role the replication actions in its bucket policy. Read with
    /// the backup account's session; where the accounts are the same, the role's own policies are enough.
    /// </summary>
    public Task<IReadOnlyList<ReplicationFinding>> BucketPolicyAsync(ReviewedRule rule, string roleArn, string? sourceAccount, string? backupAccount,
        CancellationToken cancellationToken) =>
        GuardAsync(ReplicationPermissions.BucketCheck, $"s3://{rule.BackupBucket}", async () =>
        {
            var target = $"s3://{rule.BackupBucket}";
            if (ReplicationAccessReview.SameAccount(sourceAccount, backupAccount))
            {
                return One(ReplicationPermissions.BucketCheck, target, FindingOutcome.Skipped,
                    $"The backup bucket is in the role's own account ({sourceAccount}): the role's policies are enough.");
            }
            if (!HasBackupSession)
            {
                return One(ReplicationPermissions.BucketCheck, target, FindingOutcome.Skipped,
                    "The backup bucket's policy is read with a session in the backup account.",
                    "Give -BackupSession (e.g. Connect-S3Backup -ProfileName <backup profile> -PassThru).");
            }
            var needs = ReplicationPermissions.OfBackupBucketPolicy(rule);
            string? text;
            try
            {
                text = (await RetryPolicies.S3.RunAsync(token => _backup!.S3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = rule.BackupBucket }, token),
                    cancellationToken).ConfigureAwait(false)).Policy;
            }
            catch (AmazonS3Exception error) when (error.ErrorCode == "NoSuchBucketPolicy")
            {
                text = null;
            }
            catch (AmazonS3Exception error)
            {
                throw AwsErrors.ForS3(error, "s3:GetBucketPolicy", $"arn:aws:s3:::{rule.BackupBucket}", $"Reading the policy of bucket {rule.BackupBucket}", rule.BackupBucket);
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                return new[] { ReplicationAccessReview.NoBucketPolicy(rule, roleArn, sourceAccount, backupAccount) };
            }
            var policy = IamPolicyDocument.Parse(text!, $"the bucket policy of {rule.BackupBucket}");
            var verdicts = needs.Select(need => (need, PolicyEvaluator.EvaluateResource(policy, roleArn, need.Action, need.Resource))).ToList();
            return ReplicationPermissions.Findings(ReplicationPermissions.BucketCheck, $"the bucket policy of {rule.BackupBucket}", verdicts,
                need => ReplicationPermissions.BucketStatement(need, roleArn));
        });

    /// <summary>The backup bucket's Object Ownership against the rule's owner override (<see cref="ReplicationAccessReview.Ownership"/>).</summary>
    public Task<IReadOnlyList<ReplicationFinding>> OwnershipAsync(ReviewedRule rule, string? sourceAccount, string? backupAccount, CancellationToken cancellationToken) =>
        GuardAsync(ReplicationAccessReview.OwnershipCheck, $"s3://{rule.BackupBucket}", async () =>
        {
            if (!HasBackupSession)
            {
                return One(ReplicationAccessReview.OwnershipCheck, $"s3://{rule.BackupBucket}", FindingOutcome.Skipped,
                    "The backup bucket's Object Ownership is read with a session in the backup account.", "Give -BackupSession.");
            }
            string? ownership;
            try
            {
                var response = await RetryPolicies.S3.RunAsync(token => _backup!.S3.GetBucketOwnershipControlsAsync(
                    new GetBucketOwnershipControlsRequest { BucketName = rule.BackupBucket }, token), cancellationToken).ConfigureAwait(false);
                ownership = response.OwnershipControls?.Rules?.FirstOrDefault()?.ObjectOwnership?.Value;
            }
            catch (AmazonS3Exception error) when (error.ErrorCode == "OwnershipControlsNotFoundError")
            {
                // A bucket without the setting behaves as ObjectWriter (buckets made before April 2023 may have none).
                ownership = "ObjectWriter";
            }
            catch (AmazonS3Exception error)
            {
                throw AwsErrors.ForS3(error, "s3:GetBucketOwnershipControls", $"arn:aws:s3:::{rule.BackupBucket}",
                    $"Reading the Object Ownership of bucket {rule.BackupBucket}", rule.BackupBucket);
            }
            return new[] { ReplicationAccessReview.Ownership(ownership, rule, sourceAccount, backupAccount) };
        });

    /// <summary>The source bucket's default encryption; a refusal or failure is kept as the reason it is not known.</summary>
    public async Task<SourceEncryption> EncryptionAsync(string sourceBucket, CancellationToken cancellationToken)
    {
        try
        {
            var rule = (await RetryPolicies.S3.RunAsync(token => _source.S3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = sourceBucket }, token),
                cancellationToken).ConfigureAwait(false)).ServerSideEncryptionConfiguration?.ServerSideEncryptionRules?.FirstOrDefault()?.ServerSideEncryptionByDefault;
            return new SourceEncryption(rule?.ServerSideEncryptionAlgorithm?.Value, rule?.ServerSideEncryptionKeyManagementServiceKeyId);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "ServerSideEncryptionConfigurationNotFoundError")
        {
            return new SourceEncryption(null, null);
        }
        catch (AmazonS3Exception error)
        {
            // Not knowing the default leaves the sample to tell whether SSE-KMS objects are there.
            return new SourceEncryption(null, null, error.ErrorCode ?? error.StatusCode.ToString());
        }
    }

    /// <summary>
    /// The <paramref name="count"/> newest objects the rule covers, by listing them all (one LIST per 1,000 keys) and
    /// keeping the newest, then reading each one's replication status and encryption with HeadObject.
    /// </summary>
    public async Task<IReadOnlyList<SampledObject>> SampleAsync(string sourceBucket, ReviewedRule rule, int count, Action<long> listed, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return Array.Empty<SampledObject>();
        }
        var newest = new SortedSet<S3ObjectRecord>(Comparer<S3ObjectRecord>.Create((left, right) =>
        {
            var byTime = Nullable.Compare(left.LastModified, right.LastModified);
            return byTime != 0 ? byTime : string.CompareOrdinal(left.Key, right.Key);
        }));
        long seen = 0;
        var prefix = rule.WholeBucket ? null : rule.Rule.Prefix;
        await foreach (var record in new ObjectLister(_source.S3).ListAsync(sourceBucket, prefix, cancellationToken).ConfigureAwait(false))
        {
            if (record.IsDeleteMarker || ReplicationCanary.IsCanary(record.Key))
            {
                continue;
            }
            newest.Add(record);
            if (newest.Count > count)
            {
                newest.Remove(newest.Min!);
            }
            if (++seen % 1000 == 0)
            {
                listed(seen);
            }
        }
        using var gate = new SemaphoreSlim(HeadsAtOnce);
        var heads = newest.Reverse().Select(async record =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await HeadAsync(record, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        return (await Task.WhenAll(heads).ConfigureAwait(false)).Where(item => item is not null).Select(item => item!).ToList();
    }

    private async Task<SampledObject?> HeadAsync(S3ObjectRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var head = await RetryPolicies.S3.RunAsync(token => _source.S3.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = record.Bucket, Key = record.Key }, token), cancellationToken).ConfigureAwait(false);
            var encryption = head.ServerSideEncryptionMethod?.Value;
            return new SampledObject(record.Key, head.VersionId, (head.LastModified ?? record.LastModified ?? DateTime.MinValue).ToUniversalTime(),
                ReplicationSample.NormalizeStatus(head.ReplicationStatus?.Value), encryption is not null && encryption.StartsWith("aws:kms", StringComparison.Ordinal),
                head.ServerSideEncryptionKeyManagementServiceKeyId);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted since it was listed: not part of the sample.
            return null;
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetObject", $"arn:aws:s3:::{record.Bucket}/{record.Key}", $"Reading the replication status of {record}", record);
        }
    }

    public static string RoleNameOf(string roleArn) => roleArn.Substring(roleArn.LastIndexOf('/') + 1);

    private static IReadOnlyList<ReplicationFinding> One(string check, string target, FindingOutcome outcome, string detail, string? hint = null) =>
        new[] { new ReplicationFinding(check, target, outcome, detail, hint) };

    /// <summary>A check whose reads fail reports an Error finding with the reason; the other checks go on.</summary>
    internal static async Task<IReadOnlyList<ReplicationFinding>> GuardAsync(string check, string target, Func<Task<IReadOnlyList<ReplicationFinding>>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (S3BackupException error)
        {
            return One(check, target, FindingOutcome.Error, error.Message);
        }
        catch (AwsApiException error)
        {
            // Some servers (Ceph RGW) answer IAM errors without a message: the code and status are what there is to say.
            var said = string.IsNullOrWhiteSpace(error.Message) ? $"IAM answered {error.Code} (HTTP {(int)error.Status})." : $"{error.Code}: {error.Message}";
            return One(check, target, FindingOutcome.Error, said, error.Status == HttpStatusCode.Forbidden ? IamReadHint : null);
        }
    }
}
