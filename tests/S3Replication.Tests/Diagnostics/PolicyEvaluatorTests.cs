using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using CsCheck;
using S3Replication.Core;
using S3Replication.Diagnostics;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Diagnostics;

public class PolicyEvaluatorTests
{
    private const string Role = "arn:aws:iam::111122223333:role/service-role/replication";
    private const string Source = "arn:aws:s3:::amzn-s3-demo-source-bucket";
    private const string Destination = "arn:aws:s3:::amzn-s3-demo-destination-bucket";

    // The replication role's permissions policy as AWS documents it (setting-repl-config-perm-overview.html).
    private const string ReplicationRolePolicy = """
        {
          "Version": "2012-10-17",
          "Statement": [
            { "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
              "Resource": ["arn:aws:s3:::amzn-s3-demo-source-bucket"] },
            { "Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
              "Resource": ["arn:aws:s3:::amzn-s3-demo-source-bucket/*"] },
            { "Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
              "Resource": "arn:aws:s3:::amzn-s3-demo-destination-bucket/*" }
          ]
        }
        """;

    // The destination bucket's policy when another account owns it, as AWS documents it (same page, step 3).
    private const string CrossAccountDestinationPolicy = """
        {
          "Version": "2012-10-17",
          "Id": "PolicyForDestinationBucket",
          "Statement": [
            { "Sid": "Permissions on objects", "Effect": "Allow",
              "Principal": { "AWS": "arn:aws:iam::111122223333:role/service-role/replication" },
              "Action": ["s3:ReplicateDelete", "s3:ReplicateObject"],
              "Resource": "arn:aws:s3:::amzn-s3-demo-destination-bucket/*" },
            { "Sid": "Permissions on bucket", "Effect": "Allow",
              "Principal": { "AWS": "arn:aws:iam::111122223333:role/service-role/replication" },
              "Action": ["s3:List*", "s3:GetBucketVersioning", "s3:PutBucketVersioning"],
              "Resource": "arn:aws:s3:::amzn-s3-demo-destination-bucket" }
          ]
        }
        """;

    private static IamPolicyDocument Policy(string json, string name = "inline policy replication") => IamPolicyDocument.Parse(json, name);

    /// <summary>A one-statement identity policy.</summary>
    private static IamPolicyDocument Statement(string statement, string name = "inline policy extra") =>
        Policy($$$"""{"Version":"2012-10-17","Statement":{{{statement}}}}""", name);

    private static PolicyVerdict Identity(string action, string resource, params IamPolicyDocument[] policies) =>
        PolicyEvaluator.EvaluateIdentity(policies, action, resource);

    private static (PolicyDecision, string?, string?, string) Summary(PolicyVerdict verdict) =>
        (verdict.Decision, verdict.DecidingPolicy, verdict.DecidingStatement, string.Join(" | ", verdict.ConditionsNotEvaluated));

    [Theory]
    [InlineData("s3:GetReplicationConfiguration", Source, "statement 1")]
    [InlineData("s3:ListBucket", Source, "statement 1")]
    [InlineData("s3:GetObjectVersionForReplication", Source + "/data/2025/a.csv", "statement 2")]
    [InlineData("s3:GetObjectVersionAcl", Source + "/a", "statement 2")]
    [InlineData("s3:GetObjectVersionTagging", Source + "/key:with:colons", "statement 2")]
    [InlineData("s3:ReplicateObject", Destination + "/data/2025/a.csv", "statement 3")]
    [InlineData("s3:ReplicateDelete", Destination + "/a", "statement 3")]
    [InlineData("s3:ReplicateTags", Destination + "/a", "statement 3")]
    public void The_documented_replication_role_policy_allows_what_replication_needs(string action, string resource, string statement) =>
        Assert.Equal((PolicyDecision.Allowed, "inline policy replication", statement, ""), Summary(Identity(action, resource, Policy(ReplicationRolePolicy))));

    [Theory]
    [InlineData("s3:ReplicateObject", Source + "/a")] // the right action on the wrong bucket
    [InlineData("s3:ListBucket", Source + "/a")] // a bucket action on an object
    [InlineData("s3:GetObjectVersionForReplication", Source)] // an object action on the bucket
    [InlineData("s3:GetObject", Source + "/a")] // an action the policy does not name
    [InlineData("s3:ReplicateObject", "arn:aws:s3:::amzn-s3-demo-destination-bucket-2/a")] // a bucket whose name starts alike
    [InlineData("s3:ReplicateObject", "arn:aws:s3:::AMZN-S3-DEMO-DESTINATION-BUCKET/a")] // resources compare case-sensitively
    public void Anything_else_is_an_implicit_deny(string action, string resource) =>
        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, ""), Summary(Identity(action, resource, Policy(ReplicationRolePolicy))));

    [Theory]
    [InlineData("S3:REPLICATEOBJECT")]
    [InlineData("s3:replicateobject")]
    [InlineData("s3:ReplicateObject")]
    public void Action_names_compare_without_regard_to_case(string action) =>
        Assert.Equal(PolicyDecision.Allowed, Identity(action, Destination + "/a", Policy(ReplicationRolePolicy)).Decision);

    [Theory]
    [InlineData("*", "s3:ReplicateObject", true)]
    [InlineData("s3:*", "s3:ReplicateObject", true)]
    [InlineData("s3:*", "s3control:CreateJob", false)]
    [InlineData("S3:Replicate*", "s3:ReplicateTags", true)]
    [InlineData("s3:Replicate*", "s3:GetObject", false)]
    [InlineData("s3:*Object", "s3:ReplicateObject", true)]
    [InlineData("s3:*Object", "s3:ReplicateObjects", false)]
    [InlineData("s3:GetObjectVersion?cl", "s3:GetObjectVersionAcl", true)]
    [InlineData("s3:GetObjectVersion?cl", "s3:GetObjectVersionAAcl", false)]
    [InlineData("s3:Get*Version*", "s3:GetObjectVersionForReplication", true)]
    [InlineData("s3:ListBucket", "s3:ListBucketVersions", false)]
    public void Action_wildcards(string pattern, string action, bool allowed) =>
        Assert.Equal(allowed, Identity(action, "arn:aws:s3:::b/k", Statement($$"""{"Effect":"Allow","Action":"{{pattern}}","Resource":"*"}""")).Decision == PolicyDecision.Allowed);

    [Theory]
    [InlineData("*", "arn:aws:s3:::b/k", true)]
    [InlineData("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c.txt", true)]
    [InlineData("arn:aws:s3:::b/*", "arn:aws:s3:::b", false)]
    [InlineData("arn:aws:s3:::b*", "arn:aws:s3:::b", true)]
    [InlineData("arn:aws:s3:::b*", "arn:aws:s3:::backup/k", true)]
    [InlineData("arn:aws:s3:::b/logs/????/*", "arn:aws:s3:::b/logs/2025/x", true)]
    [InlineData("arn:aws:s3:::b/logs/????/*", "arn:aws:s3:::b/logs/25/x", false)]
    [InlineData("arn:aws:s3:::b/*.csv", "arn:aws:s3:::b/a.csv", true)]
    [InlineData("arn:aws:s3:::b/*.csv", "arn:aws:s3:::b/a.CSV", false)]
    [InlineData("arn:aws:s3:::b/a.c", "arn:aws:s3:::b/abc", false)] // a dot is a dot, not a regular expression
    [InlineData("arn:aws:s3:::b/(x)+[y]", "arn:aws:s3:::b/(x)+[y]", true)]
    [InlineData("arn:aws:s3:::*/k", "arn:aws:s3:::any-bucket/k", true)]
    [InlineData("arn:aws:s3:::b/k", "arn:aws:s3:::b/k\n", false)] // the whole resource, to its last character
    public void Resource_wildcards(string pattern, string resource, bool allowed) =>
        Assert.Equal(allowed, Identity("s3:GetObject", resource, Statement($$$"""{"Effect":"Allow","Action":"s3:GetObject","Resource":{{{JsonValue.Create(pattern).ToJsonString()}}}}""")).Decision == PolicyDecision.Allowed);

    [Fact]
    public void An_explicit_deny_in_any_policy_wins_over_every_allow()
    {
        var deny = Statement("""{"Sid":"NoReplicaDeletes","Effect":"Deny","Action":"s3:ReplicateDelete","Resource":"*"}""", "arn:aws:iam::111122223333:policy/Guardrail");

        Assert.Equal((PolicyDecision.ExplicitDeny, "arn:aws:iam::111122223333:policy/Guardrail", "NoReplicaDeletes", ""),
            Summary(Identity("s3:ReplicateDelete", Destination + "/a", Policy(ReplicationRolePolicy), deny)));
        Assert.Equal((PolicyDecision.ExplicitDeny, "arn:aws:iam::111122223333:policy/Guardrail", "NoReplicaDeletes", ""),
            Summary(Identity("s3:ReplicateDelete", Destination + "/a", deny, Policy(ReplicationRolePolicy))));
        Assert.Equal(PolicyDecision.Allowed, Identity("s3:ReplicateObject", Destination + "/a", Policy(ReplicationRolePolicy), deny).Decision);
        Assert.Equal(PolicyDecision.ExplicitDeny, Identity("s3:ReplicateDelete", Destination + "/a", deny).Decision);
    }

    [Theory]
    [InlineData("s3:GetObjectVersionForReplication", Source + "/a", "Allowed")]
    [InlineData("s3:GetReplicationConfiguration", Source, "Allowed")]
    [InlineData("s3:ReplicateObject", Destination + "/a", "ExplicitDeny")]
    [InlineData("s3:ListBucket", Source, "ExplicitDeny")]
    public void A_deny_with_not_action_denies_every_action_it_does_not_name(string action, string resource, string expected)
    {
        var onlyReads = Statement("""{"Sid":"OnlyGets","Effect":"Deny","NotAction":["s3:Get*"],"Resource":"*"}""");
        Assert.Equal(expected, Identity(action, resource, Policy(ReplicationRolePolicy), onlyReads).Decision.ToString());
    }

    [Theory]
    [InlineData("s3:GetObjectVersionForReplication", Source + "/a", "Allowed")]
    [InlineData("s3:ListBucket", Source, "Allowed")]
    [InlineData("s3:ReplicateObject", Destination + "/a", "ExplicitDeny")]
    public void A_deny_with_not_resource_denies_everywhere_but_the_resources_it_names(string action, string resource, string expected)
    {
        var onlySource = Statement($$"""{"Effect":"Deny","Action":"s3:*","NotResource":["{{Source}}","{{Source}}/*"]}""");
        Assert.Equal(expected, Identity(action, resource, Policy(ReplicationRolePolicy), onlySource).Decision.ToString());
    }

    [Fact]
    public void An_allow_with_not_action_and_not_resource_allows_all_but_what_it_names()
    {
        var policy = Statement("""{"Effect":"Allow","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::secret/*"}""");

        Assert.Equal(PolicyDecision.Allowed, Identity("s3:ReplicateObject", "arn:aws:s3:::b/k", policy).Decision);
        Assert.Equal(PolicyDecision.ImplicitDeny, Identity("s3:DeleteObject", "arn:aws:s3:::b/k", policy).Decision);
        Assert.Equal(PolicyDecision.ImplicitDeny, Identity("s3:ReplicateObject", "arn:aws:s3:::secret/k", policy).Decision);
    }

    [Fact]
    public void No_policies_or_no_statements_deny_implicitly()
    {
        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, ""), Summary(Identity("s3:ReplicateObject", Destination + "/a")));
        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, ""), Summary(Identity("s3:ReplicateObject", Destination + "/a", Policy("""{"Version":"2012-10-17","Statement":[]}"""))));
    }

    [Fact]
    public void A_lone_statement_object_counts_like_a_list_of_one()
    {
        var verdict = Identity("s3:ReplicateObject", Destination + "/a", Statement($$"""{"Sid":"Replicate","Effect":"Allow","Action":"s3:ReplicateObject","Resource":"{{Destination}}/*"}"""));
        Assert.Equal((PolicyDecision.Allowed, "inline policy extra", "Replicate", ""), Summary(verdict));
    }

    [Fact]
    public void The_first_unconditional_allow_decides_and_names_its_policy()
    {
        var conditional = Statement("""{"Sid":"FromVpc","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}""", "inline policy vpc");
        var unconditional = Statement("""{"Effect":"Allow","Action":"s3:Replicate*","Resource":"*"}""", "arn:aws:iam::aws:policy/Replicate");

        Assert.Equal((PolicyDecision.Allowed, "arn:aws:iam::aws:policy/Replicate", "statement 1", ""),
            Summary(Identity("s3:ReplicateObject", Destination + "/a", conditional, unconditional)));
    }

    [Fact]
    public void An_allow_under_conditions_decides_but_is_listed()
    {
        var conditional = Statement("""{"Sid":"FromVpc","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}""", "inline policy vpc");
        var unnamed = Statement("""{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}""", "inline policy tls");

        Assert.Equal((PolicyDecision.Allowed, "inline policy vpc", "FromVpc", "FromVpc | statement 1 of inline policy tls"),
            Summary(Identity("s3:ReplicateObject", Destination + "/a", conditional, unnamed)));
    }

    [Fact]
    public void An_unconditional_deny_beats_an_allow_under_conditions_and_lists_nothing()
    {
        var conditional = Statement("""{"Sid":"FromVpc","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}""");
        var deny = Statement("""{"Sid":"Never","Effect":"Deny","Action":"s3:ReplicateObject","Resource":"*"}""", "inline policy never");

        Assert.Equal((PolicyDecision.ExplicitDeny, "inline policy never", "Never", ""), Summary(Identity("s3:ReplicateObject", Destination + "/a", conditional, deny)));
    }

    [Fact]
    public void A_deny_under_conditions_leaves_the_decision_but_is_listed_when_it_could_turn_an_allow()
    {
        var deny = Statement("""{"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}""");

        Assert.Equal((PolicyDecision.Allowed, "inline policy replication", "statement 3", "TlsOnly"),
            Summary(Identity("s3:ReplicateObject", Destination + "/a", Policy(ReplicationRolePolicy), deny)));
        // Denied anyway: the conditional Deny could not change that, so it is not listed.
        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, ""), Summary(Identity("s3:PutObject", Destination + "/a", Policy(ReplicationRolePolicy), deny)));
    }

    [Fact]
    public void A_statement_that_does_not_match_is_not_listed_for_its_condition()
    {
        var elsewhere = Statement("""{"Sid":"Elsewhere","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::other/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}""");
        Assert.Equal((PolicyDecision.Allowed, "inline policy replication", "statement 3", ""),
            Summary(Identity("s3:ReplicateObject", Destination + "/a", Policy(ReplicationRolePolicy), elsewhere)));
    }

    [Fact]
    public void An_empty_condition_block_is_no_condition()
    {
        var deny = Statement("""{"Sid":"Always","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{}}""");
        Assert.Equal(PolicyDecision.ExplicitDeny, Identity("s3:ReplicateObject", Destination + "/a", deny).Decision);
    }

    [Fact]
    public void A_policy_variable_in_a_resource_is_not_taken_to_match_but_is_listed()
    {
        // ${aws:username} is the request's value, unknown here: the Allow does not count, and the verdict says it was not evaluated.
        var perUser = Statement("""{"Sid":"HomeFolder","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}""");

        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, "HomeFolder"), Summary(Identity("s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", perUser)));
        Assert.Equal((PolicyDecision.ImplicitDeny, null, null, ""), Summary(Identity("s3:GetObject", "arn:aws:s3:::elsewhere/alice/notes.txt", perUser)));
    }

    [Fact]
    public void A_deny_whose_resource_holds_a_variable_is_listed_and_does_not_deny()
    {
        var deny = Statement("""{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-destination-bucket/${aws:PrincipalTag/team}/*"}""", "inline policy teams");
        var notDeny = Statement("""{"Sid":"OutsideTeam","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::amzn-s3-demo-destination-bucket/${aws:PrincipalTag/team}/*"}""");

        Assert.Equal((PolicyDecision.Allowed, "inline policy replication", "statement 3", "statement 1 of inline policy teams | OutsideTeam"),
            Summary(Identity("s3:ReplicateObject", Destination + "/blue/a", Policy(ReplicationRolePolicy), deny, notDeny)));
    }

    [Theory]
    [InlineData("2012-10-17", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", "Allowed")] // ${*} is a literal asterisk
    [InlineData("2012-10-17", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/anything", "ImplicitDeny")]
    [InlineData("2012-10-17", "arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", "Allowed")]
    [InlineData("2008-10-17", "arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/${aws:username}", "Allowed")] // no variables before 2012-10-17
    [InlineData("2008-10-17", "arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/alice", "ImplicitDeny")]
    [InlineData(null, "arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/${aws:username}", "Allowed")]
    [InlineData("2012-10-17", "arn:aws:s3:::b/${unclosed", "arn:aws:s3:::b/${unclosed", "Allowed")]
    public void Variables_and_their_escapes_follow_the_policy_language_version(string? version, string pattern, string resource, string expected)
    {
        var versionMember = version is null ? "" : $"\"Version\":\"{version}\",";
        var policy = Policy($$$"""{{{{versionMember}}}"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"{{{pattern}}}"}}""");
        Assert.Equal(expected, Identity("s3:GetObject", resource, policy).Decision.ToString());
    }

    [Theory]
    [InlineData("s3:ReplicateObject", Destination + "/a", "Permissions on objects")]
    [InlineData("s3:ReplicateDelete", Destination + "/a", "Permissions on objects")]
    [InlineData("s3:ListBucket", Destination, "Permissions on bucket")]
    [InlineData("s3:GetBucketVersioning", Destination, "Permissions on bucket")]
    public void The_documented_cross_account_destination_policy_grants_the_role(string action, string resource, string statement) =>
        Assert.Equal((PolicyDecision.Allowed, "bucket policy", statement, ""),
            Summary(PolicyEvaluator.EvaluateResource(Policy(CrossAccountDestinationPolicy, "bucket policy"), Role, action, resource)));

    [Theory]
    [InlineData("arn:aws:iam::111122223333:role/service-role/other")]
    [InlineData("arn:aws:iam::111122223333:role/replication")] // the same name on another path is another role
    [InlineData("arn:aws:iam::444455556666:role/service-role/replication")]
    public void The_documented_cross_account_destination_policy_grants_no_other_role(string principal) =>
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.EvaluateResource(Policy(CrossAccountDestinationPolicy), principal, "s3:ReplicateObject", Destination + "/a").Decision);

    [Fact]
    public void The_documented_cross_account_destination_policy_grants_nothing_it_does_not_name() =>
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.EvaluateResource(Policy(CrossAccountDestinationPolicy), Role, "s3:ReplicateTags", Destination + "/a").Decision);

    [Theory]
    [InlineData("\"*\"", true)]
    [InlineData("""{"AWS":"*"}""", true)]
    [InlineData("""{"AWS":"111122223333"}""", true)] // the whole account
    [InlineData("""{"AWS":"arn:aws:iam::111122223333:root"}""", true)]
    [InlineData("""{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:role/service-role/replication"]}""", true)]
    [InlineData("""{"AWS":"arn:aws:iam::444455556666:root"}""", false)]
    [InlineData("""{"AWS":"444455556666"}""", false)]
    [InlineData("""{"AWS":"arn:aws-cn:iam::111122223333:root"}""", false)] // another partition's account
    [InlineData("""{"AWS":"arn:aws:iam::111122223333:role/service-role/replication-old"}""", false)]
    [InlineData("""{"AWS":"arn:aws:sts::111122223333:assumed-role/replication/session"}""", false)] // one session, not the role
    [InlineData("""{"Service":"s3.amazonaws.com"}""", false)]
    [InlineData("""{"Federated":"cognito-identity.amazonaws.com"}""", false)]
    [InlineData("""{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}""", false)]
    [InlineData("""{"Service":["s3.amazonaws.com"],"AWS":["111122223333"]}""", true)]
    public void Principals_that_name_the_role(string principal, bool named)
    {
        var policy = Policy($$$"""{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{{{principal}}},"Action":"s3:ReplicateObject","Resource":"{{{Destination}}}/*"}}""");
        Assert.Equal(named, PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateObject", Destination + "/a").Decision == PolicyDecision.Allowed);
    }

    [Fact]
    public void A_bucket_policy_statement_without_a_principal_names_no_one()
    {
        var policy = Statement($$"""{"Effect":"Allow","Action":"s3:*","Resource":"*"}""");
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateObject", Destination + "/a").Decision);
    }

    [Fact]
    public void A_bucket_policy_deny_for_everyone_denies_the_role()
    {
        var policy = Policy(CrossAccountDestinationPolicy.Replace("\"Statement\": [", """
            "Statement": [{ "Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateDelete", "Resource": "*" },
            """, StringComparison.Ordinal));

        Assert.Equal((PolicyDecision.ExplicitDeny, "inline policy replication", "NoDeletes", ""),
            Summary(PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateDelete", Destination + "/a")));
        Assert.Equal(PolicyDecision.Allowed, PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateObject", Destination + "/a").Decision);
    }

    [Theory]
    [InlineData("""{"AWS":"arn:aws:iam::111122223333:role/service-role/replication"}""", "ExplicitDeny")] // the account is checked first
    [InlineData("""{"AWS":"111122223333"}""", "ExplicitDeny")]
    [InlineData("""{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/service-role/replication"]}""", "Allowed")]
    [InlineData("""{"AWS":["111122223333","arn:aws:iam::111122223333:role/service-role/replication"]}""", "Allowed")]
    [InlineData("""{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:role/service-role/replication"]}""", "ExplicitDeny")]
    [InlineData("""{"AWS":"*"}""", "Allowed")]
    [InlineData("""{"Service":"s3.amazonaws.com"}""", "ExplicitDeny")]
    public void A_deny_with_not_principal_spares_the_role_only_when_it_names_its_account_and_the_role(string notPrincipal, string expected)
    {
        var policy = Policy(CrossAccountDestinationPolicy.Replace("\"Statement\": [", $$"""
            "Statement": [{ "Sid": "OnlyReplication", "Effect": "Deny", "NotPrincipal": {{notPrincipal}}, "Action": "s3:*", "Resource": "*" },
            """, StringComparison.Ordinal));
        Assert.Equal(expected, PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateObject", Destination + "/a").Decision.ToString());
    }

    [Fact]
    public void A_deny_that_spares_the_role_by_not_principal_is_listed_because_its_session_is_not_known()
    {
        var policy = Policy(CrossAccountDestinationPolicy.Replace("\"Statement\": [", """
            "Statement": [{ "Sid": "OnlyReplication", "Effect": "Deny", "NotPrincipal": {"AWS":["111122223333","arn:aws:iam::111122223333:role/service-role/replication"]}, "Action": "s3:*", "Resource": "*" },
            """, StringComparison.Ordinal));
        var verdict = PolicyEvaluator.EvaluateResource(policy, Role, "s3:ReplicateObject", Destination + "/a");
        Assert.Equal(PolicyDecision.Allowed, verdict.Decision);
        Assert.Equal(new[] { "OnlyReplication" }, verdict.ConditionsNotEvaluated);
    }

    [Fact]
    public void A_statement_on_part_of_a_wildcard_resource_is_named_as_covering_part()
    {
        var allowAll = Statement("""{"Sid":"All","Effect":"Allow","Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::b/*"}""");
        var denyImap = Statement("""{"Sid":"NoImap","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/imap/*"}""");
        var partlyDenied = Identity("s3:ReplicateObject", "arn:aws:s3:::b/*", allowAll, denyImap);
        Assert.Equal((PolicyDecision.Allowed, "NoImap"), (partlyDenied.Decision, string.Join(",", partlyDenied.CoversPart)));
        var allowImap = Statement("""{"Sid":"OnlyImap","Effect":"Allow","Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::b/imap/*"}""");
        var partlyAllowed = Identity("s3:ReplicateObject", "arn:aws:s3:::b/*", allowImap);
        Assert.Equal((PolicyDecision.ImplicitDeny, "OnlyImap"), (partlyAllowed.Decision, string.Join(",", partlyAllowed.CoversPart)));
        Assert.Empty(Identity("s3:ReplicateObject", "arn:aws:s3:::b/*", allowAll, allowImap).CoversPart);
        Assert.Empty(Identity("s3:ReplicateObject", "arn:aws:s3:::b/*", allowAll, Statement("""{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bb/*"}""")).CoversPart);
        Assert.Empty(Identity("s3:ReplicateObject", "arn:aws:s3:::b/a.csv", allowAll, denyImap).CoversPart);
    }

    [Fact]
    public void An_account_with_an_empty_id_on_an_s3_compatible_server_is_named_only_by_the_role_itself()
    {
        var policy = Statement("""{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::root",""]},"Action":"s3:*","Resource":"*"}""");
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.EvaluateResource(policy, "arn:aws:iam:::role/replication", "s3:ReplicateObject", "arn:aws:s3:::b/k").Decision);
    }

    [Theory]
    [InlineData("replication")]
    [InlineData("arn:aws:s3:::bucket")]
    [InlineData("arn:aws:sts::111122223333:assumed-role/replication/session")]
    public void The_principal_must_be_an_iam_arn(string principal)
    {
        var failure = Assert.Throws<S3BackupException>(() => PolicyEvaluator.EvaluateResource(Policy(CrossAccountDestinationPolicy), principal, "s3:ReplicateObject", Destination + "/a"));
        Assert.Equal((ErrorId.InvalidRoleArn, principal), (failure.ErrorId, failure.Target));
        Assert.Contains(principal, failure.Message);
    }

    [Fact]
    public void Reads_the_url_encoded_document_iam_answers()
    {
        var policy = Policy(Uri.EscapeDataString(ReplicationRolePolicy));
        Assert.Equal(3, policy.Statements.Count);
        Assert.Equal(PolicyDecision.Allowed, Identity("s3:ReplicateObject", Destination + "/a", policy).Decision);
    }

    [Theory]
    [InlineData("{not json", "it is not valid JSON (")]
    [InlineData("", "it is not valid JSON (")]
    [InlineData("""{"Statement":[],"Statement":[]}""", "it repeats a key within one object")]
    [InlineData("""{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}}""", "it repeats a key within one object")]
    [InlineData("""{"Version":"2012-10-17"}""", "it has no Statement list")]
    [InlineData("""{"Statement":"Allow everything"}""", "it has no Statement list")]
    [InlineData("""["Statement"]""", "it has no Statement list")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},"x"]}""", "a statement is not a JSON object")]
    [InlineData("""{"Statement":{"Action":"s3:*","Resource":"*"}}""", "in statement 1, Effect is not Allow or Deny")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"allow","Action":"s3:*","Resource":"*"}]}""", "in statement 2, Effect is not Allow or Deny")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}""", "in statement 1, there are both Action and NotAction")]
    [InlineData("""{"Statement":{"Effect":"Allow","Resource":"*"}}""", "in statement 1, there is neither Action nor NotAction")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*"}}""", "in statement 1, there is neither Resource nor NotResource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"x"}}""", "in statement 1, there are both Resource and NotResource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":3,"Resource":"*"}}""", "in statement 1, Action is not a string or a list of strings")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":["a",null]}}""", "in statement 1, NotResource is not a string or a list of strings")]
    [InlineData("""{"Statement":{"Sid":7,"Effect":"Allow","Action":"s3:*","Resource":"*"}}""", "in statement 1, Sid is not a string")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"aws:SecureTransport"}}""", "in statement 1, Condition is not an object")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"111122223333","Action":"s3:*","Resource":"*"}}""", "in statement 1, Principal is neither \"*\" nor an object of principals")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"AWS":{"id":"1"}},"Action":"s3:*","Resource":"*"}}""", "in statement 1, Principal.AWS is not a string or a list of strings")]
    [InlineData("""{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}""", "in statement 1, there are both Principal and NotPrincipal")]
    public void A_malformed_policy_is_refused_saying_where(string json, string problem)
    {
        var failure = Assert.Throws<S3BackupException>(() => IamPolicyDocument.Parse(json, "bucket policy of amzn-s3-demo-destination-bucket"));
        Assert.Equal((ErrorId.MalformedPolicyDocument, "bucket policy of amzn-s3-demo-destination-bucket"), (failure.ErrorId, failure.Target));
        Assert.StartsWith($"Cannot read bucket policy of amzn-s3-demo-destination-bucket: {problem}", failure.Message);
    }

    // ---- Property: the evaluator agrees with a plain reading of the rules, over random policies ----

    private static readonly string[] Actions = { "s3:GetObject", "s3:PutObject", "s3:ReplicateObject", "s3:ReplicateDelete" };
    private static readonly string[] ActionPatterns = { "*", "s3:*", "s3:Get*", "s3:?etObject", "S3:PUTOBJECT", "s3:Replicate*", "s3:*Object", "iam:*" };
    private static readonly string[] Resources = { "arn:aws:s3:::a", "arn:aws:s3:::a/k", "arn:aws:s3:::b/k", "arn:aws:s3:::ab/k" };
    private static readonly string[] ResourcePatterns = { "*", "arn:aws:s3:::a", "arn:aws:s3:::a/*", "arn:aws:s3:::a*", "arn:aws:s3:::?/k", "arn:aws:s3:::*/k", "arn:aws:s3:::A/*" };

    private sealed record GeneratedStatement(bool Deny, bool NotAction, string[] ActionPatterns, bool NotResource, string[] ResourcePatterns, bool Conditional)
    {
        public string Json => new JsonObject
        {
            ["Effect"] = Deny ? "Deny" : "Allow",
            [NotAction ? "NotAction" : "Action"] = new JsonArray(ActionPatterns.Select(pattern => (JsonNode?)pattern).ToArray()),
            [NotResource ? "NotResource" : "Resource"] = new JsonArray(ResourcePatterns.Select(pattern => (JsonNode?)pattern).ToArray()),
            ["Condition"] = Conditional ? new JsonObject { ["Bool"] = new JsonObject { ["aws:SecureTransport"] = "true" } } : null,
        }.ToJsonString();
    }

    private static readonly Gen<GeneratedStatement> Statements =
        Gen.Select(Gen.Bool, Gen.Bool, Pick(ActionPatterns).Array[1, 3], Gen.Bool, Pick(ResourcePatterns).Array[1, 3], Gen.Int[0, 3])
            .Select((deny, notAction, actions, notResource, resources, condition) => new GeneratedStatement(deny, notAction, actions, notResource, resources, condition == 0));

    private static readonly Gen<GeneratedStatement[][]> Policies = Statements.Array[0, 4].Array[0, 3];

    /// <summary>Wildcard matching written out the slow, obvious way.</summary>
    private static bool Glob(string pattern, string value, StringComparison comparison) =>
        pattern.Length == 0 ? value.Length == 0
        : pattern[0] == '*' ? Enumerable.Range(0, value.Length + 1).Any(skip => Glob(pattern[1..], value[skip..], comparison))
        : value.Length > 0 && (pattern[0] == '?' || string.Equals(pattern[..1], value[..1], comparison)) && Glob(pattern[1..], value[1..], comparison);

    [Fact]
    public void Wildcards_match_as_the_plain_reading_does_for_any_pattern_and_value()
    {
        Gen.Select(Gen.String[Gen.Char["ab*?"], 0, 8], Gen.String[Gen.Char["abAB"], 0, 8]).Sample((pattern, value) =>
        {
            Assert.Equal(Glob(pattern, value, StringComparison.OrdinalIgnoreCase), WildcardPattern.ForAction(pattern).Matches(value));
            Assert.Equal(Glob(pattern, value, StringComparison.Ordinal), WildcardPattern.ForResource(pattern, variables: true).Matches(value));
        }, iter: 5000);
    }

    /// <summary>Whether some value that starts with <paramref name="prefix"/> matches, written out the slow, obvious way.</summary>
    private static bool GlobPrefix(string pattern, string prefix) =>
        prefix.Length == 0 ? true
        : pattern.Length == 0 ? false
        : pattern[0] == '*' ? Enumerable.Range(0, prefix.Length + 1).Any(skip => GlobPrefix(pattern[1..], prefix[skip..]))
        : (pattern[0] == '?' || pattern[0] == prefix[0]) && GlobPrefix(pattern[1..], prefix[1..]);

    [Fact]
    public void A_pattern_names_part_of_a_prefix_as_the_plain_reading_does()
    {
        Gen.Select(Gen.String[Gen.Char["ab*?"], 0, 8], Gen.String[Gen.Char["ab"], 0, 8]).Sample((pattern, prefix) =>
            Assert.Equal(GlobPrefix(pattern, prefix), WildcardPattern.ForResource(pattern, variables: false).MatchesSomethingStartingWith(prefix)), iter: 5000);
    }

    [Fact]
    public void Many_wildcards_against_a_long_resource_take_no_time_to_refuse()
    {
        var pattern = WildcardPattern.ForResource(string.Concat(Enumerable.Repeat("*a", 30)) + "*b", variables: false);
        Assert.False(pattern.Matches("arn:aws:s3:::" + new string('a', 5000)));
    }

    private static bool Applies(GeneratedStatement statement, string action, string resource) =>
        statement.ActionPatterns.Any(pattern => Glob(pattern, action, StringComparison.OrdinalIgnoreCase)) != statement.NotAction
        && statement.ResourcePatterns.Any(pattern => Glob(pattern, resource, StringComparison.Ordinal)) != statement.NotResource;

    private static PolicyDecision Reference(IEnumerable<GeneratedStatement> statements, string action, string resource)
    {
        var applying = statements.Where(statement => Applies(statement, action, resource)).ToList();
        return applying.Any(statement => statement.Deny && !statement.Conditional) ? PolicyDecision.ExplicitDeny
            : applying.Any(statement => !statement.Deny) ? PolicyDecision.Allowed
            : PolicyDecision.ImplicitDeny;
    }

    private static IamPolicyDocument[] Documents(GeneratedStatement[][] policies) =>
        policies.Select((statements, index) => Policy($$"""{"Version":"2012-10-17","Statement":[{{string.Join(",", statements.Select(statement => statement.Json))}}]}""", $"policy {index}")).ToArray();

    [Fact]
    public void Decides_as_a_plain_reading_of_iam_rules_does_for_any_policies()
    {
        Gen.Select(Policies, Pick(Actions), Pick(Resources)).Sample((policies, action, resource) =>
        {
            var verdict = PolicyEvaluator.EvaluateIdentity(Documents(policies), action, resource);
            Assert.Equal(Reference(policies.SelectMany(statements => statements), action, resource), verdict.Decision);
            Assert.Equal(verdict.Decision == PolicyDecision.ImplicitDeny, verdict.DecidingStatement is null);
        }, iter: 3000);
    }

    [Fact]
    public void The_order_of_policies_and_statements_changes_no_decision_and_unconditional_policies_list_nothing()
    {
        Gen.Select(Policies, Pick(Actions), Pick(Resources)).Sample((policies, action, resource) =>
        {
            var reversed = policies.Reverse().Select(statements => statements.Reverse().ToArray()).ToArray();
            Assert.Equal(PolicyEvaluator.EvaluateIdentity(Documents(policies), action, resource).Decision,
                PolicyEvaluator.EvaluateIdentity(Documents(reversed), action, resource).Decision);
            var unconditional = policies.Select(statements => statements.Select(statement => statement with { Conditional = false }).ToArray()).ToArray();
            Assert.Empty(PolicyEvaluator.EvaluateIdentity(Documents(unconditional), action, resource).ConditionsNotEvaluated);
        }, iter: 2000);
    }
}
