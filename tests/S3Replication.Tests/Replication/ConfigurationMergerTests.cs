using System;
using System.Collections.Generic;
using System.Linq;
using Amazon.S3;
using Amazon.S3.Model;
using CsCheck;
using S3Replication.Core;
using S3Replication.Replication;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Replication;

public class ConfigurationMergerTests
{
    private const string Role = "arn:aws:iam::111111111111:role/BackupRole";

    private static ReplicationRuleSpec Spec(string ruleId = ReplicationRuleSpec.DefaultRuleId, int? priority = null, string role = Role) =>
        new("sds-data-dev", "sds-data-dev-backup", "222222222222", role, ruleId, "", new Dictionary<string, string>(), priority,
            null, false, false, null, false);

    private static ReplicationRule ExistingRule(string id, int priority, string prefix = "") => new()
    {
        Id = id,
        Priority = priority,
        Status = ReplicationRuleStatus.Enabled,
        Filter = new ReplicationRuleFilter { Prefix = prefix },
        DeleteMarkerReplication = new DeleteMarkerReplication { Status = DeleteMarkerReplicationStatus.Enabled },
        Destination = new ReplicationDestination { BucketArn = "arn:aws:s3:::elsewhere", StorageClass = S3StorageClass.Glacier },
    };

    private static ReplicationConfiguration Configuration(params ReplicationRule[] rules) => new() { Role = Role, Rules = rules.ToList() };

    private static readonly Gen<ReplicationConfiguration> Configurations =
        Gen.Int[0, 25].SelectMany(count => Gen.Int[0, 5].Array[count].Select(gaps =>
        {
            var priority = 0;
            var rules = gaps.Select((gap, index) => ExistingRule($"rule-{index}", priority += gap + 1, $"p{index}/")).ToArray();
            return Configuration(rules);
        }));

    [Fact]
    public void Adding_keeps_every_other_rule_and_the_role_and_appends_the_new_one()
    {
        Gen.Select(Configurations, Gen.Bool).Sample((existing, givePriority) =>
        {
            var before = existing.Rules.Select(ReplicationRules.Describe).ToList();
            var priority = givePriority ? (existing.Rules.Count == 0 ? 0 : existing.Rules.Max(rule => rule.Priority ?? 0)) + 1000 : (int?)null;

            var merged = ConfigurationMerger.Add(existing, Spec(priority: priority), replaceExisting: false);

            Assert.Equal(Role, merged.Role);
            Assert.Equal(existing.Rules.Count + 1, merged.Rules.Count);
            for (var index = 0; index < existing.Rules.Count; index++)
            {
                Assert.Same(existing.Rules[index], merged.Rules[index]);
            }
            Assert.Equal(before, existing.Rules.Select(ReplicationRules.Describe));
            var added = merged.Rules[^1];
            Assert.Equal(ReplicationRuleSpec.DefaultRuleId, added.Id);
            Assert.Equal(merged.Rules.Count, merged.Rules.Select(rule => rule.Priority).Distinct().Count());
        }, iter: 500);
    }

    [Fact]
    public void Updating_one_rule_leaves_the_others_and_the_input_untouched()
    {
        Configurations.Where(configuration => configuration.Rules.Count > 0).Select(Gen.Int[0, 100], (configuration, pick) => (configuration, pick))
            .Sample(sample =>
            {
                var (existing, pick) = sample;
                var target = existing.Rules[pick % existing.Rules.Count];
                var before = existing.Rules.Select(ReplicationRules.Describe).ToList();

                var updated = ConfigurationMerger.Update(existing, "b", target.Id, new RuleChanges(Enabled: false, StorageClass: "DEEP_ARCHIVE"));

                Assert.Equal(before, existing.Rules.Select(ReplicationRules.Describe));
                for (var index = 0; index < existing.Rules.Count; index++)
                {
                    if (existing.Rules[index].Id != target.Id)
                    {
                        Assert.Same(existing.Rules[index], updated.Rules[index]);
                    }
                }
                var changed = updated.Rules.Single(rule => rule.Id == target.Id);
                Assert.Equal((ReplicationRuleStatus.Disabled, S3StorageClass.DeepArchive), (changed.Status, changed.Destination.StorageClass));
                Assert.Equal(ReplicationRules.Describe(target).Replace("Enabled, ", "Disabled, ").Replace("storage GLACIER,", "storage DEEP_ARCHIVE,"),
                    ReplicationRules.Describe(changed));
            }, iter: 500);
    }

    [Fact]
    public void Removing_one_rule_keeps_the_rest_in_order()
    {
        Configurations.Where(configuration => configuration.Rules.Count > 1).Sample(existing =>
        {
            var victim = existing.Rules[existing.Rules.Count / 2];
            var remaining = ConfigurationMerger.Remove(existing, "b", victim.Id)!;
            Assert.Equal(existing.Rules.Where(rule => rule != victim), remaining.Rules);
            Assert.Equal(Role, remaining.Role);
        }, iter: 300);
    }

    [Fact]
    public void Removing_the_last_rule_means_deleting_the_configuration() =>
        Assert.Null(ConfigurationMerger.Remove(Configuration(ExistingRule("only", 1)), "b", "only"));

    [Fact]
    public void A_first_rule_gets_the_runbooks_priority_1_and_id()
    {
        var merged = ConfigurationMerger.Add(null, Spec(), replaceExisting: false);
        var rule = Assert.Single(merged.Rules);
        Assert.Equal((ReplicationRuleSpec.DefaultRuleId, 1, Role), (rule.Id, rule.Priority, merged.Role));
        Assert.Equal("ReplicateToBackup: Enabled, priority 1, prefix '', -> arn:aws:s3:::sds-data-dev-backup (account 222222222222), delete markers Disabled",
            ReplicationRules.Describe(rule));
    }

    [Fact]
    public void A_duplicate_rule_id_is_refused_without_force_and_replaced_in_place_with_it()
    {
        var existing = Configuration(ExistingRule("a", 1), ExistingRule(ReplicationRuleSpec.DefaultRuleId, 2), ExistingRule("c", 3));
        Assert.Equal(ErrorId.RuleExists, Assert.Throws<S3BackupException>(() => ConfigurationMerger.Add(existing, Spec(), false)).ErrorId);

        var replaced = ConfigurationMerger.Add(existing, Spec(priority: 2), replaceExisting: true);
        Assert.Equal(new[] { "a", ReplicationRuleSpec.DefaultRuleId, "c" }, replaced.Rules.Select(rule => rule.Id));
        Assert.Equal("arn:aws:s3:::sds-data-dev-backup", replaced.Rules[1].Destination.BucketArn);
    }

    [Fact]
    public void A_different_role_is_refused_because_all_rules_share_one()
    {
        var failure = Assert.Throws<S3BackupException>(() =>
            ConfigurationMerger.Add(Configuration(ExistingRule("a", 1)), Spec(role: "arn:aws:iam::111111111111:role/Other"), false));
        Assert.Equal(ErrorId.RoleConflict, failure.ErrorId);
        Assert.Contains(Role, failure.Message);
    }

    [Fact]
    public void A_configuration_whose_role_the_server_did_not_report_takes_the_new_role()
    {
        var existing = new ReplicationConfiguration { Role = "", Rules = new List<ReplicationRule> { ExistingRule("a", 1) } };
        Assert.Equal(Role, ConfigurationMerger.Add(existing, Spec(), false).Role);
    }

    [Fact]
    public void A_taken_priority_is_refused_naming_the_rule_that_has_it()
    {
        var failure = Assert.Throws<S3BackupException>(() => ConfigurationMerger.Add(Configuration(ExistingRule("a", 4)), Spec(priority: 4), false));
        Assert.Equal(ErrorId.DuplicatePriority, failure.ErrorId);
        Assert.Contains("'a'", failure.Message);
        Assert.Equal(ErrorId.DuplicatePriority, Assert.Throws<S3BackupException>(() =>
            ConfigurationMerger.Update(Configuration(ExistingRule("a", 4), ExistingRule("b", 5)), "bucket", "b", new RuleChanges(Priority: 4))).ErrorId);
    }

    [Fact]
    public void The_thousand_rule_limit_is_enforced_before_sending()
    {
        var full = Configuration(Enumerable.Range(1, ConfigurationMerger.MaxRules).Select(index => ExistingRule($"r{index}", index)).ToArray());
        Assert.Equal(ErrorId.TooManyRules, Assert.Throws<S3BackupException>(() => ConfigurationMerger.Add(full, Spec(), false)).ErrorId);
        var almost = Configuration(Enumerable.Range(1, ConfigurationMerger.MaxRules - 1).Select(index => ExistingRule($"r{index}", index)).ToArray());
        Assert.Equal(ConfigurationMerger.MaxRules, ConfigurationMerger.Add(almost, Spec(), false).Rules.Count);
    }

    [Fact]
    public void V1_rules_are_not_silently_mixed_with_v2()
    {
#pragma warning disable CS0618 // building a V1 rule, as S3 returns it
        var legacy = new ReplicationRule { Id = "old", Prefix = "logs/", Status = ReplicationRuleStatus.Enabled, Destination = new ReplicationDestination { BucketArn = "arn:aws:s3:::x" } };
#pragma warning restore CS0618
        var failure = Assert.Throws<S3BackupException>(() => ConfigurationMerger.Add(Configuration(legacy), Spec(), false));
        Assert.Equal(ErrorId.UnsupportedReplicationSchema, failure.ErrorId);
        Assert.Contains("'old'", failure.Message);
    }

    [Fact]
    public void Unknown_rules_are_reported_with_the_rules_that_exist()
    {
        var failure = Assert.Throws<S3BackupException>(() => ConfigurationMerger.Remove(Configuration(ExistingRule("a", 1), ExistingRule("b", 2)), "bkt", "zzz"));
        Assert.Equal(ErrorId.RuleNotFound, failure.ErrorId);
        Assert.Contains("its rules are a, b", failure.Message);
    }

    [Theory]
    [InlineData("imap/", 0, "prefix 'imap/'")]
    [InlineData("", 1, "prefix '', tags k0=v0")]
    [InlineData("imap/", 1, "prefix 'imap/', tags k0=v0")]
    [InlineData("", 2, "prefix '', tags k0=v0,k1=v1")]
    public void Filters_take_the_shape_s3_expects(string prefix, int tagCount, string described)
    {
        var tags = Enumerable.Range(0, tagCount).ToDictionary(index => $"k{index}", index => $"v{index}");
        var filter = RuleFilters.Build(prefix, tags);
        Assert.Equal((tagCount == 0, tagCount == 1 && prefix == "", tagCount > 1 || (tagCount == 1 && prefix != "")),
            (filter.Prefix is not null && filter.Tag is null && filter.And is null, filter.Tag is not null, filter.And is not null));
        var rule = new ReplicationRule { Id = "x", Filter = filter };
        Assert.Contains(described, ReplicationRules.Describe(rule));
        var (readPrefix, readTags) = RuleFilters.Read(rule);
        Assert.Equal(prefix, readPrefix ?? "");
        Assert.Equal(tags, readTags);
    }

    [Theory]
    [InlineData("Sds-Data", "backup", "222222222222", ErrorId.InvalidBucketName)]
    [InlineData("ab", "backup", "222222222222", ErrorId.InvalidBucketName)]
    [InlineData("192.168.1.1", "backup", "222222222222", ErrorId.InvalidBucketName)]
    [InlineData("source", "back..up", "222222222222", ErrorId.InvalidBucketName)]
    [InlineData("source", "backup", "2222", ErrorId.InvalidArgument)]
    [InlineData("source", "backup", "22222222222x", ErrorId.InvalidArgument)]
    public void Bad_names_and_accounts_are_refused_before_anything_is_sent(string source, string destination, string account, ErrorId expected)
    {
        var spec = Spec() with { SourceBucket = source, DestinationBucket = destination, DestinationAccountId = account };
        Assert.Equal(expected, Assert.Throws<S3BackupException>(() => ConfigurationMerger.Add(null, spec, false)).ErrorId);
    }

    [Theory]
    [InlineData("arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("arn:aws:kms:eu-west-2:123456789012:alias/backup", true)]
    [InlineData("1234abcd-12ab-34cd-56ef-1234567890ab", false)]
    [InlineData("arn:aws:kms:eu-west-2:1234:key/x", false)]
    public void Replica_kms_keys_must_be_arns(string key, bool valid)
    {
        var spec = Spec() with { ReplicaKmsKeyId = key };
        if (valid)
        {
            spec.Validate();
        }
        else
        {
            Assert.Equal(ErrorId.InvalidArgument, Assert.Throws<S3BackupException>(spec.Validate).ErrorId);
        }
    }
}

public class BucketOrientationTests
{
    private static Amazon.S3.Model.ReplicationConfiguration To(params string[] buckets) => new()
    {
        Role = "arn:aws:iam::111111111111:role/BackupRole",
        Rules = buckets.Select((bucket, index) => new Amazon.S3.Model.ReplicationRule
        {
            Id = $"r{index}",
            Destination = new Amazon.S3.Model.ReplicationDestination { BucketArn = $"arn:aws:s3:::{bucket}" },
        }).ToList(),
    };

    [Theory]
    [InlineData(true, false, "AsGiven")]
    [InlineData(false, true, "Reversed")]
    [InlineData(true, true, "AsGiven")]
    [InlineData(false, false, "Unknown")]
    public void The_configurations_tell_which_way_the_buckets_go(bool sourceReplicatesToBackup, bool backupReplicatesToSource, string expected)
    {
        var sourceConfiguration = sourceReplicatesToBackup ? To("elsewhere", "sds-data-dev-backup") : To("elsewhere");
        var backupConfiguration = backupReplicatesToSource ? To("sds-data-dev") : null;
        Assert.Equal(Enum.Parse<Orientation>(expected), BucketOrientation.Of("sds-data-dev-backup", "sds-data-dev", backupConfiguration, sourceConfiguration));
    }

    [Fact]
    public void Unreadable_configurations_say_nothing()
    {
        Assert.Equal(Orientation.Unknown, BucketOrientation.Of("b", "s", null, null));
    }
}
