using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using S3Replication.Diagnostics;
using S3Replication.Records;
using S3Replication.Trust;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>Test-S3BackupReplication's findings from rules, permission verdicts, samples and encryption: every finding and its hint.</summary>
public class ReplicationReviewTests
{
    private const string Source = "sds-data-dev";
    private const string Backup = "sds-data-dev-backup";
    private const string Role = "arn:aws:iam::111122223333:role/BackupReplication";

    private static ReplicationRuleRecord Rule(string id = "ReplicateToBackup", string status = "Enabled", int? priority = 1, string? prefix = null,
        string destination = Backup, Hashtable? tags = null) => new()
    {
        Bucket = Source, RuleId = id, Status = status, Priority = priority, Prefix = prefix, DestinationBucket = destination, DestinationAccountId = "444455556666",
        Tags = tags ?? new Hashtable(),
    };

    private static (IReadOnlyList<ReplicationFinding> Findings, ReviewedRule? Rule) Review(string? backup, params ReplicationRuleRecord[] rules) =>
        ReplicationRuleReview.Review(Source, backup, rules, Role, null);

    [Fact]
    public void No_configuration_fails_with_the_command_that_adds_a_rule()
    {
        var (findings, rule) = Review(Backup);
        Assert.Null(rule);
        var finding = Assert.Single(findings);
        Assert.Equal((FindingOutcome.Failed, "Rule"), (finding.Outcome, finding.Check));
        Assert.StartsWith($"New-S3BackupReplicationRule -SourceBucket {Source} -DestinationBucket {Backup} ", finding.Hint);
    }

    [Fact]
    public void A_healthy_whole_bucket_rule_passes_and_names_the_backup()
    {
        var (findings, rule) = Review(null, Rule());
        var finding = Assert.Single(findings);
        Assert.Equal(FindingOutcome.Passed, finding.Outcome);
        Assert.Contains($"whole bucket -> s3://{Backup} in account 444455556666", finding.Detail);
        Assert.Equal((Backup, Role, true, true), (rule!.BackupBucket, rule.RoleArn, rule.Enabled, rule.WholeBucket));
        Assert.Equal($"arn:aws:s3:::{Source}/*", rule.ObjectsOf(Source));
    }

    [Fact]
    public void A_disabled_rule_fails_with_the_pipeline_that_enables_it()
    {
        var (findings, rule) = Review(Backup, Rule(status: "Disabled"));
        var finding = Assert.Single(findings);
        Assert.Equal(FindingOutcome.Failed, finding.Outcome);
        Assert.Equal($"Get-S3BackupReplicationRule -Bucket {Source} -RuleId ReplicateToBackup | Set-S3BackupReplicationRule -Enabled", finding.Hint);
        Assert.False(rule!.Enabled);
    }

    [Fact]
    public void The_highest_priority_enabled_rule_decides_and_a_disabled_one_beside_it_does_not_fail()
    {
        var (findings, rule) = Review(Backup, Rule("old", "Disabled", 9), Rule("current", priority: 2), Rule("low", priority: 1, prefix: "logs/"));
        Assert.Equal("current", rule!.Rule.RuleId);
        Assert.All(findings, finding => Assert.Equal(FindingOutcome.Passed, finding.Outcome));
    }

    [Fact]
    public void A_prefix_rule_warns_that_the_rest_is_not_backed_up_and_scopes_the_resources()
    {
        var (findings, rule) = Review(Backup, Rule(prefix: "reports/"));
        var warning = Assert.Single(findings, finding => finding.Outcome == FindingOutcome.Warning);
        Assert.Contains("only keys under 'reports/'", warning.Detail);
        Assert.EndsWith("| Set-S3BackupReplicationRule -Prefix ''", warning.Hint);
        Assert.Equal($"arn:aws:s3:::{Backup}/reports/*", rule!.ObjectsOf(Backup));
    }

    [Fact]
    public void A_tag_rule_warns_and_points_at_a_rule_without_a_filter()
    {
        var (findings, _) = Review(Backup, Rule(tags: new Hashtable { ["backup"] = "yes" }));
        var warning = Assert.Single(findings, finding => finding.Outcome == FindingOutcome.Warning);
        Assert.Contains("objects tagged backup=yes", warning.Detail);
        Assert.Contains("add a rule without -Prefix and -Tag: New-S3BackupReplicationRule", warning.Hint);
    }

    [Fact]
    public void Rules_to_several_buckets_need_backup_bucket_and_a_wrong_one_fails()
    {
        var rules = new[] { Rule(), Rule("other", destination: "elsewhere") };
        Assert.Equal(FindingOutcome.Error, Assert.Single(Review(null, rules).Findings).Outcome);
        var wrong = Assert.Single(Review("not-the-backup", rules).Findings);
        Assert.Equal(FindingOutcome.Failed, wrong.Outcome);
        Assert.Contains("No rule of s3://sds-data-dev replicates to s3://not-the-backup", wrong.Detail);
        var misspelt = Assert.Single(Review("sds-data-dev-bakup", Rule()).Findings);
        Assert.StartsWith($"If you meant s3://{Backup}: Test-S3BackupReplication -SourceBucket {Source} -BackupBucket {Backup}. " +
            "To replicate to s3://sds-data-dev-bakup too: New-S3BackupReplicationRule -SourceBucket sds-data-dev -DestinationBucket sds-data-dev-bakup ", misspelt.Hint);
        Assert.Equal("other", Review("elsewhere", rules).Rule!.Rule.RuleId);
    }

    [Theory]
    [InlineData("GLACIER", true)]
    [InlineData("DEEP_ARCHIVE", true)]
    [InlineData("GLACIER_IR", false)]
    [InlineData("STANDARD_IA", false)]
    public void An_archive_storage_class_warns_that_restores_wait(string storageClass, bool warns)
    {
        var rule = Rule();
        rule.StorageClass = storageClass;
        Assert.Equal(warns, Review(Backup, rule).Findings.Any(finding => finding.Outcome == FindingOutcome.Warning && finding.Detail!.Contains("restore them from archive")));
    }

    [Fact]
    public void The_configurations_role_wins_over_role_arn_and_a_missing_one_falls_back_to_it()
    {
        var (findings, rule) = ReplicationRuleReview.Review(Source, Backup, new[] { Rule() }, Role, "arn:aws:iam::111122223333:role/Other");
        Assert.Equal(Role, rule!.RoleArn);
        Assert.Contains(findings, finding => finding.Outcome == FindingOutcome.Warning && finding.Target == "role");
        Assert.Equal("arn:aws:iam:::role/Given", ReplicationRuleReview.Review(Source, Backup, new[] { Rule() }, "", "arn:aws:iam:::role/Given").Rule!.RoleArn);
        Assert.Null(ReplicationRuleReview.Review(Source, Backup, new[] { Rule() }, null, null).Rule!.RoleArn);
    }

    private static ReviewedRule Reviewed(Action<ReplicationRuleRecord>? change = null)
    {
        var rule = Rule();
        change?.Invoke(rule);
        return Review(Backup, rule).Rule!;
    }

    private static readonly (string?, string?) NoKey = (null, null);

    [Fact]
    public void The_role_needs_the_documented_replication_actions_and_more_only_where_the_rule_asks()
    {
        var plain = ReplicationPermissions.OfRole(Source, Reviewed(), NoKey, NoKey).Select(need => $"{need.Action} {need.Resource} {need.Required}").ToList();
        Assert.Equal(new[]
        {
            $"s3:GetReplicationConfiguration arn:aws:s3:::{Source} True", $"s3:ListBucket arn:aws:s3:::{Source} True",
            $"s3:GetObjectVersionForReplication arn:aws:s3:::{Source}/* True", $"s3:GetObjectVersionAcl arn:aws:s3:::{Source}/* True",
            $"s3:GetObjectVersionTagging arn:aws:s3:::{Source}/* False", $"s3:ReplicateObject arn:aws:s3:::{Backup}/* True",
        }, plain);
        var full = ReplicationPermissions.OfRole(Source, Reviewed(rule => { rule.DeleteMarkerReplication = true; rule.OwnerOverride = true; rule.SseKmsEncryptedObjects = true; }),
            ("arn:aws:kms:eu-west-2:111122223333:key/a", null), (null, "the key is named by its alias"));
        Assert.Contains(full, need => need is { Action: "s3:ReplicateDelete", Required: true });
        Assert.Contains(full, need => need is { Action: "s3:ObjectOwnerOverrideToBucketOwner", Required: true });
        Assert.Contains(full, need => need is { Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-2:111122223333:key/a", Required: true, NotKnown: null });
        Assert.Contains(full, need => need is { Action: "kms:Encrypt", NotKnown: "the key is named by its alias" });
        Assert.DoesNotContain(full, need => need.Action == "s3:ReplicateTags");
        var bucket = ReplicationPermissions.OfBackupBucketPolicy(Reviewed(rule => rule.OwnerOverride = true));
        Assert.Equal(new[] { "s3:ReplicateObject", "s3:GetBucketVersioning", "s3:ObjectOwnerOverrideToBucketOwner" }, bucket.Select(need => need.Action));
    }

    [Theory]
    [InlineData("arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab", "111122223333", "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab", null)]
    [InlineData("1234abcd-12ab", "111122223333", "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab", null)]
    [InlineData("1234abcd-12ab", null, null, "the account is not known")]
    [InlineData("alias/backup", "111122223333", null, "an alias")]
    [InlineData("arn:aws:kms:eu-west-2:111122223333:alias/backup", "111122223333", null, "by its alias")]
    [InlineData(null, "111122223333", null, "aws/s3")]
    public void Kms_keys_are_named_by_their_key_arn_where_it_can_be_known(string? keyId, string? account, string? arn, string? notKnown)
    {
        var (resolved, why) = KmsKeyArns.Of(keyId, "eu-west-2", account);
        Assert.Equal(arn, resolved);
        if (notKnown is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(notKnown, why);
        }
        Assert.StartsWith("arn:aws-cn:kms:cn-north-1:", KmsKeyArns.Of("k", "cn-north-1", "111122223333").Arn);
    }

    private static PolicyVerdict Verdict(PolicyDecision decision, params string[] conditions) =>
        new(decision, decision == PolicyDecision.ImplicitDeny ? null : "inline policy replication", decision == PolicyDecision.ImplicitDeny ? null : "Sid1", conditions);

    [Fact]
    public void Policy_findings_pass_once_or_name_each_missing_denied_or_conditional_permission()
    {
        var needs = ReplicationPermissions.OfRole(Source, Reviewed(), NoKey, NoKey);
        var allowed = ReplicationPermissions.Findings("RolePolicy", "role R", needs.Select(need => (need, Verdict(PolicyDecision.Allowed))).ToList(), ReplicationPermissions.RoleStatement);
        Assert.Equal(FindingOutcome.Passed, Assert.Single(allowed).Outcome);
        Assert.Contains("Grants the 6 permissions", allowed[0].Detail);

        var mixed = ReplicationPermissions.Findings("RolePolicy", "role R", needs.Select(need => (need, need.Action switch
        {
            "s3:ReplicateObject" => Verdict(PolicyDecision.ImplicitDeny),
            "s3:ListBucket" => Verdict(PolicyDecision.ExplicitDeny),
            "s3:GetObjectVersionAcl" => Verdict(PolicyDecision.Allowed, "Sid2 of inline policy replication"),
            _ => Verdict(PolicyDecision.Allowed),
        })).ToList(), ReplicationPermissions.RoleStatement);
        Assert.Equal(3, mixed.Count);
        var missing = Assert.Single(mixed, finding => finding.Target.StartsWith("s3:ReplicateObject"));
        Assert.Equal(FindingOutcome.Failed, missing.Outcome);
        Assert.Equal($"Add to role R: {{\"Effect\":\"Allow\",\"Action\":\"s3:ReplicateObject\",\"Resource\":\"arn:aws:s3:::{Backup}/*\"}}", missing.Hint);
        var denied = Assert.Single(mixed, finding => finding.Target.StartsWith("s3:ListBucket"));
        Assert.Equal("Denied by inline policy replication (Sid1) (to list the source bucket).", denied.Detail);
        Assert.Equal(FindingOutcome.NotEvaluated, Assert.Single(mixed, finding => finding.Target.StartsWith("s3:GetObjectVersionAcl")).Outcome);
    }

    [Fact]
    public void An_advised_permission_that_is_missing_warns_and_the_bucket_hint_names_the_role_as_principal()
    {
        var needs = ReplicationPermissions.OfBackupBucketPolicy(Reviewed());
        var findings = ReplicationPermissions.Findings("BucketPolicy", "the bucket policy of b", needs.Select(need => (need, Verdict(
            need.Action == "s3:ReplicateObject" ? PolicyDecision.Allowed : PolicyDecision.ImplicitDeny))).ToList(), need => ReplicationPermissions.BucketStatement(need, Role));
        var warning = Assert.Single(findings);
        Assert.Equal(FindingOutcome.Warning, warning.Outcome);
        Assert.Equal($"Add to the bucket policy of b: {{\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"{Role}\"}},\"Action\":\"s3:GetBucketVersioning\",\"Resource\":\"arn:aws:s3:::{Backup}\"}}", warning.Hint);
    }

    [Fact]
    public void A_deny_of_part_of_the_objects_warns_and_an_allow_of_part_fails()
    {
        var need = ReplicationPermissions.OfRole(Source, Reviewed(), NoKey, NoKey).Single(need => need.Action == "s3:ReplicateObject");
        var partlyDenied = ReplicationPermissions.Findings("RolePolicy", "role R",
            new[] { (need, Verdict(PolicyDecision.Allowed) with { CoversPart = new[] { "NoImap" } }) }, ReplicationPermissions.RoleStatement);
        var warning = Assert.Single(partlyDenied);
        Assert.Equal(FindingOutcome.Warning, warning.Outcome);
        Assert.Contains($"but NoImap of role R denies it for part of arn:aws:s3:::{Backup}/*: objects there do not replicate.", warning.Detail);
        var partlyAllowed = ReplicationPermissions.Findings("RolePolicy", "role R",
            new[] { (need, Verdict(PolicyDecision.ImplicitDeny) with { CoversPart = new[] { "OnlyImap" } }) }, ReplicationPermissions.RoleStatement);
        Assert.Equal(FindingOutcome.Failed, Assert.Single(partlyAllowed).Outcome);
        Assert.StartsWith($"OnlyImap of role R allows it for part of arn:aws:s3:::{Backup}/* only", partlyAllowed[0].Detail);
    }

    [Fact]
    public void A_permission_on_a_key_that_is_not_known_is_not_evaluated()
    {
        var needs = ReplicationPermissions.OfRole(Source, Reviewed(rule => rule.SseKmsEncryptedObjects = true), (null, "the key is named by its alias alias/x"), ("arn:aws:kms:r:1:key/b", null));
        var findings = ReplicationPermissions.Findings("RolePolicy", "role R", needs.Select(need => (need, Verdict(PolicyDecision.Allowed))).ToList(), ReplicationPermissions.RoleStatement);
        var decrypt = Assert.Single(findings);
        Assert.Equal((FindingOutcome.NotEvaluated, "kms:Decrypt on the source objects' KMS key"), (decrypt.Outcome, decrypt.Target));
        Assert.Contains("the key is named by its alias alias/x", decrypt.Detail);
    }

    private static readonly DateTime Now = new(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);

    private static SampledObject Sampled(string key, string status, double minutesAgo = 1, bool kms = false) =>
        new(key, "v1", Now.AddMinutes(-minutesAgo), status, kms, kms ? "arn:aws:kms:eu-west-2:111122223333:key/a" : null);

    [Fact]
    public void A_sample_that_all_completed_passes_with_its_counts()
    {
        var finding = Assert.Single(ReplicationSample.Findings(Source, Reviewed(), new[] { Sampled("a", "COMPLETED"), Sampled("b", "PENDING"), Sampled("c", "COMPLETED") }, Now, TimeSpan.FromHours(1)));
        Assert.Equal(FindingOutcome.Passed, finding.Outcome);
        Assert.Equal("The 3 newest object(s) (2 COMPLETED, 1 PENDING): none failed or pending longer than 1 h.", finding.Detail);
    }

    [Fact]
    public void Failed_old_pending_and_unreplicated_objects_each_get_their_finding_and_fix()
    {
        var sample = new[]
        {
            Sampled("f1", "FAILED"), Sampled("p-new", "PENDING", 5), Sampled("p-old", "PENDING", 90), Sampled("n1", "NONE", 600), Sampled("r", "REPLICA"),
        };
        var findings = ReplicationSample.Findings(Source, Reviewed(), sample, Now, TimeSpan.FromHours(1));
        Assert.Equal(new[] { FindingOutcome.Failed, FindingOutcome.Warning, FindingOutcome.Warning }, findings.Select(finding => finding.Outcome));
        Assert.Contains("1 FAILED to replicate: f1.", findings[0].Detail);
        Assert.EndsWith($"Start-S3BackupBatchReplication -SourceBucket {Source} -ReplicationStatus FAILED -WorkBucket <bucket for manifests and reports> " +
            "-RoleArn <role trusting batchoperations.s3.amazonaws.com>", findings[0].Hint);
        Assert.Contains("1 PENDING for more than 1 h (the oldest since 2026-12-05 10:30:00Z): p-old.", findings[1].Detail);
        Assert.Contains("n1", findings[2].Detail);
        Assert.Contains("-ReplicationStatus NONE -WorkBucket", findings[2].Hint);
    }

    [Fact]
    public void Long_key_lists_are_cut_and_an_empty_sample_is_skipped()
    {
        var failed = Enumerable.Range(1, 8).Select(index => Sampled($"k{index}", "FAILED")).ToList();
        Assert.Contains("k1, k2, k3, k4, k5 and 3 more", ReplicationSample.Findings(Source, Reviewed(), failed, Now, TimeSpan.FromHours(1))[0].Detail);
        Assert.Equal(FindingOutcome.Skipped, Assert.Single(ReplicationSample.Findings(Source, Reviewed(), Array.Empty<SampledObject>(), Now, TimeSpan.FromHours(1))).Outcome);
    }

    [Theory]
    [InlineData(null, "NONE")]
    [InlineData("", "NONE")]
    [InlineData("COMPLETE", "COMPLETED")]
    [InlineData("completed", "COMPLETED")]
    [InlineData("PENDING", "PENDING")]
    [InlineData("REPLICA", "REPLICA")]
    public void Statuses_have_one_spelling(string? header, string status) => Assert.Equal(status, ReplicationSample.NormalizeStatus(header));

    [Fact]
    public void Sse_kms_objects_need_the_rule_to_select_them_and_a_replica_key()
    {
        var kmsDefault = new SourceEncryption("aws:kms", "arn:aws:kms:eu-west-2:111122223333:key/a");
        var none = Array.Empty<SampledObject>();
        Assert.Equal(FindingOutcome.Passed, ReplicationEncryption.Finding(Source, Reviewed(), new SourceEncryption("AES256", null), new[] { Sampled("a", "COMPLETED") }).Outcome);
        var unreadable = ReplicationEncryption.Finding(Source, Reviewed(), new SourceEncryption(null, null, "AccessDenied"), new[] { Sampled("a", "COMPLETED") });
        Assert.Equal(FindingOutcome.NotEvaluated, unreadable.Outcome);
        Assert.Equal("The default encryption could not be read (AccessDenied); none of the 1 sampled objects is SSE-KMS encrypted.", unreadable.Detail);
        var unselected = ReplicationEncryption.Finding(Source, Reviewed(), kmsDefault, none);
        Assert.Equal(FindingOutcome.Failed, unselected.Outcome);
        Assert.Contains("does not select SSE-KMS objects", unselected.Detail);
        Assert.Equal($"New-S3BackupReplicationRule -SourceBucket {Source} -DestinationBucket {Backup} -RuleId 'ReplicateToBackup' -DestinationAccountId 444455556666 " +
            $"-RoleArn {Role} -Priority 1 -ReplicaKmsKeyId <KMS key ARN in the backup bucket's region> -Force", unselected.Hint);
        var sampledKms = ReplicationEncryption.Finding(Source, Reviewed(), new SourceEncryption(null, null), new[] { Sampled("a", "NONE", kms: true) });
        Assert.Contains("1 of the 1 sampled objects are SSE-KMS encrypted", sampledKms.Detail);
        Assert.Equal(FindingOutcome.Failed, ReplicationEncryption.Finding(Source, Reviewed(rule => rule.SseKmsEncryptedObjects = true), kmsDefault, none).Outcome);
        Assert.Equal(FindingOutcome.Passed, ReplicationEncryption.Finding(Source, Reviewed(rule => { rule.SseKmsEncryptedObjects = true; rule.ReplicaKmsKeyId = "arn:aws:kms:eu-west-2:444455556666:key/b"; }), kmsDefault, none).Outcome);
    }

    [Fact]
    public void Canary_keys_sit_under_the_rules_prefix_and_are_recognised()
    {
        var whole = ReplicationCanary.KeyFor(Reviewed(), Now);
        Assert.Matches(@"^s3replication-canary/20261205T120000Z-[0-9a-f]{8}$", whole);
        var scoped = ReplicationCanary.KeyFor(Reviewed(rule => rule.Prefix = "reports/"), Now);
        Assert.StartsWith("reports/s3replication-canary/", scoped);
        Assert.True(ReplicationCanary.IsCanary(scoped));
        Assert.False(ReplicationCanary.IsCanary("reports/2026/a.csv"));
    }

    [Fact]
    public void A_finding_becomes_a_record_and_problems_are_failures_and_errors_only()
    {
        var record = new ReplicationFinding("Trust", Role, FindingOutcome.Failed, "d", "h").ToRecord(Source, Backup);
        Assert.Equal((Source, Backup, "Trust", "Failed"), (record.SourceBucket, record.BackupBucket, record.Check, record.Outcome));
        Assert.Equal($"Failed Trust {Role}: d (h)", record.ToString());
        Assert.Equal(new[] { FindingOutcome.Failed, FindingOutcome.Error },
            Enum.GetValues(typeof(FindingOutcome)).Cast<FindingOutcome>().Where(outcome => new ReplicationFinding("c", "t", outcome).IsProblem));
    }

    [Fact]
    public void The_recreating_command_carries_every_setting_of_the_rule()
    {
        var reviewed = Reviewed(rule =>
        {
            rule.Prefix = "it's/";
            rule.Tags = new Hashtable { ["b"] = "2", ["a"] = "1" };
            rule.StorageClass = "GLACIER_IR";
            rule.DeleteMarkerReplication = true;
            rule.OwnerOverride = true;
            rule.Status = "Disabled";
        });
        Assert.Equal($"New-S3BackupReplicationRule -SourceBucket {Source} -DestinationBucket {Backup} -RuleId 'ReplicateToBackup' -DestinationAccountId 444455556666 " +
            $"-RoleArn {Role} -Priority 1 -Prefix 'it''s/' -Tag @{{ 'a' = '1'; 'b' = '2' }} -StorageClass GLACIER_IR -DeleteMarkerReplication -OwnerOverride -Disabled -X -Force",
            ReplicationRuleReview.RecreateCommand(Source, reviewed, "-X"));
    }

    private static TrustPolicyDocument TrustOf(string statements) => TrustPolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", "r");

    [Theory]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}""", "Passed")]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":["batchoperations.s3.amazonaws.com","s3.amazonaws.com"]},"Action":["sts:assumerole"]}""", "Passed")]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:*"}""", "Passed")]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}""", "NotEvaluated")]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:TagSession"}""", "Failed")]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}""", "Failed")]
    public void The_role_must_trust_s3_to_assume_it(string statement, string outcome)
    {
        var finding = ReplicationAccessReview.Trust(TrustOf(statement), Role, "s3.amazonaws.com", FindingOutcome.Failed, "S3 cannot replicate as this role");
        Assert.Equal(outcome, finding.Outcome.ToString());
        if (outcome == "Failed")
        {
            Assert.Equal("Add-BackupRoleTrustPrincipal -RoleName BackupReplication -PrincipalArn s3.amazonaws.com", finding.Hint);
        }
    }

    [Theory]
    [InlineData("BucketOwnerEnforced", false, "111122223333", "444455556666", "Passed")]
    [InlineData("ObjectWriter", true, "111122223333", "444455556666", "Passed")]
    [InlineData("BucketOwnerPreferred", false, "111122223333", "111122223333", "Passed")]
    [InlineData("BucketOwnerPreferred", false, "111122223333", "444455556666", "Warning")]
    [InlineData("ObjectWriter", false, null, null, "Warning")]
    [InlineData(null, false, "111122223333", "444455556666", "Skipped")]
    public void Replicas_should_belong_to_the_backup_account(string? ownership, bool ownerOverride, string? sourceAccount, string? backupAccount, string outcome)
    {
        var finding = ReplicationAccessReview.Ownership(ownership, Reviewed(rule => rule.OwnerOverride = ownerOverride), sourceAccount, backupAccount);
        Assert.Equal(outcome, finding.Outcome.ToString());
        if (outcome == "Warning")
        {
            Assert.StartsWith($"aws s3api put-bucket-ownership-controls --bucket {Backup} ", finding.Hint);
        }
    }

    [Fact]
    public void A_backup_bucket_without_a_policy_fails_across_accounts_and_warns_where_they_are_not_known()
    {
        var rule = Reviewed(rule => rule.DeleteMarkerReplication = true);
        var across = ReplicationAccessReview.NoBucketPolicy(rule, Role, "111122223333", "444455556666");
        Assert.Equal(FindingOutcome.Failed, across.Outcome);
        Assert.Contains("\"Action\":\"s3:ReplicateObject\"", across.Hint);
        Assert.Contains("\"Action\":\"s3:ReplicateDelete\"", across.Hint);
        Assert.DoesNotContain("GetBucketVersioning", across.Hint);
        Assert.Equal(FindingOutcome.Warning, ReplicationAccessReview.NoBucketPolicy(rule, Role, null, "444455556666").Outcome);
        Assert.True(ReplicationAccessReview.SameAccount("1", "1"));
        Assert.False(ReplicationAccessReview.SameAccount(null, null));
    }

    [Theory]
    [InlineData("Add-BackupRoleTrustPrincipal -RoleName R -PrincipalArn s3.amazonaws.com", "Add-BackupRoleTrustPrincipal -RoleName R -PrincipalArn s3.amazonaws.com -ProfileName admin")]
    [InlineData("Get-S3BackupReplicationRule -Bucket b -RuleId r | Set-S3BackupReplicationRule -Enabled",
        "Get-S3BackupReplicationRule -Bucket b -RuleId r -ProfileName admin | Set-S3BackupReplicationRule -Enabled -ProfileName admin")]
    [InlineData("If you meant s3://x: Test-S3BackupReplication -SourceBucket a -BackupBucket x. To replicate to s3://y too: New-S3BackupReplicationRule -SourceBucket a -Force",
        "If you meant s3://x: Test-S3BackupReplication -SourceBucket a -BackupBucket x -ProfileName admin. To replicate to s3://y too: New-S3BackupReplicationRule -SourceBucket a -Force -ProfileName admin")]
    [InlineData("aws s3api put-bucket-versioning --bucket b --versioning-configuration Status=Enabled", "aws s3api put-bucket-versioning --bucket b --versioning-configuration Status=Enabled")]
    [InlineData("Give -BackupSession (a session in the backup account).", "Give -BackupSession (a session in the backup account).")]
    public void Hints_name_the_profile_the_check_read_with(string hint, string expected) => Assert.Equal(expected, ReplicationHints.WithProfile(hint, "admin"));
}
