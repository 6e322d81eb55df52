using System;
using System.Linq;
using S3Replication.Core;
using S3Replication.Tests.Support;
using S3Replication.Trust;
using Xunit;

namespace S3Replication.Tests.Trust;

public class TrustPolicyDocumentTests
{
    private const string Operator = "arn:aws:iam::123456789012:user/hartnett";

    /// <summary>Trust policies as they are found in real accounts: consoles, CDK, Terraform, SSO, federation, leftovers.</summary>
    public static TheoryData<string, string> Shapes => new()
    {
        { "service only, as CDK writes it", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""" },
        { "service list", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["s3.amazonaws.com","batchoperations.s3.amazonaws.com"]},"Action":"sts:AssumeRole"}]}""" },
        { "single AWS string", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}""" },
        { "AWS list", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:role/ops"]},"Action":"sts:AssumeRole"}]}""" },
        { "one-element AWS list", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice"]},"Action":["sts:AssumeRole"]}]}""" },
        { "service and AWS in one statement", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com","AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}""" },
        { "runbook role after a console edit", """{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"Statement1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}""" },
        { "condition on external id", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x-1"}}}]}""" },
        { "MFA condition", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}""" },
        { "SAML federation", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}""" },
        { "OIDC federation (GitHub Actions)", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}]}""" },
        { "orphaned unique ids", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["AIDAJQABLZS4A3QDU576Q","AROAJ2UCCR6DPCEXAMPLE","arn:aws:iam::123456789012:user/bob"]},"Action":"sts:AssumeRole"}]}""" },
        { "bare star principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}""" },
        { "AWS star principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}""" },
        { "explicit deny with NotPrincipal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}""" },
        { "statement as a single object", """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}}""" },
        { "tag session and source identity actions", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}""" },
        { "Id and unknown keys", """{"Version":"2012-10-17","Id":"trust-1","Statement":[{"Sid":"S3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole","x-owner":"platform"}]}""" },
        { "assumed-role session principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/Admin/jane"},"Action":"sts:AssumeRole"}]}""" },
        { "canonical user", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"sts:AssumeRole"}]}""" },
        { "Sid already S3BackupOperators", """{"Version":"2012-10-17","Statement":[{"Sid":"S3BackupOperators","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""" },
        { "lower-case action, Ceph RGW style ARN", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/ops"]},"Action":["sts:assumerole"]}]}""" },
        { "pretty-printed with white space", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": { \"Service\": \"s3.amazonaws.com\" },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Add_then_remove_gives_back_the_original_policy(string shape, string json)
    {
        var original = TrustPolicyDocument.Parse(json, shape);
        var added = original.WithPrincipal(Operator);
        Assert.True(added.Trusts(Operator), shape);
        Assert.False(original.Trusts(Operator), "the input must not change");

        var removed = added.WithoutPrincipal(Operator);
        Assert.True(PolicyEquivalence.AreEquivalent(removed, original), $"{shape}:\n{removed.ToJson()}\nversus\n{original.ToJson()}");
        Assert.Equal(original.Principals.Select(principal => (principal.Type, principal.Value, principal.Sid)),
            removed.Principals.Select(principal => (principal.Type, principal.Value, principal.Sid)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_service_principal_is_added_under_Service_and_removed_again(string shape, string json)
    {
        const string Batch = "batchoperations.s3.amazonaws.com";
        var original = TrustPolicyDocument.Parse(json, shape);
        var added = original.WithPrincipal(Batch);
        Assert.True(added.Trusts(Batch), shape);
        Assert.Contains(added.Principals, principal => principal is { Type: "Service", Value: Batch, Effect: "Allow" });
        Assert.DoesNotContain(added.Principals, principal => principal.Type == "AWS" && principal.Value == Batch);
        if (!original.Trusts(Batch))
        {
            var removed = added.WithoutPrincipal(Batch);
            Assert.True(PolicyEquivalence.AreEquivalent(removed, original), $"{shape}:\n{removed.ToJson()}\nversus\n{original.ToJson()}");
        }
    }

    [Fact]
    public void A_service_joins_the_statement_that_names_services_and_otherwise_gets_its_own()
    {
        var services = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "r")
            .WithPrincipal("batchoperations.s3.amazonaws.com");
        Assert.Equal(new[] { 0, 0 }, services.Principals.Select(principal => principal.StatementIndex));
        var operators = TrustPolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{Operator}}"},"Action":"sts:AssumeRole"}]}""", "r")
            .WithPrincipal("s3.amazonaws.com");
        Assert.Equal(TrustPolicyDocument.NewServiceStatementSid, operators.Principals.Single(principal => principal.Type == "Service").Sid);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Parsing_the_url_encoded_document_aws_returns_gives_the_same_policy(string shape, string json)
    {
        var encoded = Uri.EscapeDataString(json);
        Assert.True(PolicyEquivalence.AreEquivalent(TrustPolicyDocument.Parse(encoded, shape), TrustPolicyDocument.Parse(json, shape)));
    }

    [Fact]
    public void Joins_the_existing_unconditional_statement_for_aws_principals_turning_a_string_into_a_list()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}""", "r");
        var added = policy.WithPrincipal(Operator);
        Assert.Equal(1, added.StatementCount);
        Assert.Equal(new[] { "arn:aws:iam::123456789012:user/alice", Operator }, added.Principals.Select(principal => principal.Value));
    }

    [Fact]
    public void Never_joins_a_conditional_statement_or_a_service_only_one_but_adds_its_own()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}""", "r");
        var added = policy.WithPrincipal(Operator);
        Assert.Equal(3, added.StatementCount);
        var ours = added.Principals.Single(principal => principal.Value == Operator);
        Assert.Equal((2, "S3BackupOperators", false), (ours.StatementIndex, ours.Sid, ours.HasCondition));
    }

    [Fact]
    public void A_taken_sid_gets_a_number()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Sid":"S3BackupOperators","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "r");
        Assert.Equal("S3BackupOperators2", policy.WithPrincipal(Operator).Principals.Single(principal => principal.Value == Operator).Sid);
    }

    [Fact]
    public void Adding_a_trusted_principal_returns_the_same_document()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["OPERATOR"]},"Action":"sts:AssumeRole"}]}""".Replace("OPERATOR", Operator), "r");
        Assert.Same(policy, policy.WithPrincipal(Operator));
    }

    [Fact]
    public void A_principal_under_a_condition_or_not_principal_is_not_counted_as_trusted()
    {
        var conditional = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"OPERATOR"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}""".Replace("OPERATOR", Operator), "r");
        Assert.False(conditional.Trusts(Operator));
        var denied = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"OPERATOR"},"Action":"sts:AssumeRole"}]}""".Replace("OPERATOR", Operator), "r");
        Assert.False(denied.Trusts(Operator));
        Assert.Same(denied, denied.WithoutPrincipal(Operator));
    }

    [Fact]
    public void Removing_drops_statements_left_without_a_principal_and_keeps_the_others()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"B","Effect":"Allow","Principal":{"AWS":"OPERATOR"},"Action":"sts:AssumeRole"}]}""".Replace("OPERATOR", Operator), "r");
        var removed = policy.WithoutPrincipal(Operator);
        Assert.Equal(1, removed.StatementCount);
        Assert.Equal("A", Assert.Single(removed.Principals).Sid);
    }

    [Fact]
    public void Orphaned_unique_ids_are_flagged()
    {
        var policy = TrustPolicyDocument.Parse(Shapes.Single(row => (string)row[0] == "orphaned unique ids")[1].ToString()!, "r");
        Assert.Equal(new[] { true, true, false }, policy.Principals.Select(principal => principal.IsOrphaned));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "no Statement")]
    [InlineData("""{"Version":"2012-10-17"}""", "no Statement")]
    [InlineData("""{"Statement":[42]}""", "not a JSON object")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"a","AWS":"b"},"Action":"sts:AssumeRole"}]}""", "repeats a key")]
    public void Malformed_documents_are_refused_clearly(string document, string reason)
    {
        var failure = Assert.Throws<S3BackupException>(() => TrustPolicyDocument.Parse(document, "BackupRole"));
        Assert.Equal(ErrorId.MalformedPolicyDocument, failure.ErrorId);
        Assert.Contains(reason, failure.Message);
        Assert.Contains("BackupRole", failure.Message);
    }

    [Fact]
    public void The_quota_counts_characters_without_white_space()
    {
        var compact = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "r");
        var pretty = TrustPolicyDocument.Parse(Shapes.Single(row => (string)row[0] == "pretty-printed with white space")[1].ToString()!, "r");
        Assert.Equal(compact.QuotaSize, pretty.QuotaSize);
        Assert.Equal(compact.QuotaSize, TrustService.RequireWithinQuota(compact, compact.QuotaSize, "r").QuotaSize);
        var failure = Assert.Throws<S3BackupException>(() => TrustService.RequireWithinQuota(compact, compact.QuotaSize - 1, "r"));
        Assert.Equal(ErrorId.PolicyTooLarge, failure.ErrorId);
        Assert.Contains($"{compact.QuotaSize} characters", failure.Message);
    }

    [Fact]
    public void The_quota_is_reached_after_a_predictable_number_of_principals()
    {
        var policy = TrustPolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "r");
        var added = 0;
        try
        {
            while (true)
            {
                policy = TrustService.RequireWithinQuota(policy.WithPrincipal($"arn:aws:iam::123456789012:user/operator-{added:D4}"), TrustService.DefaultPolicySizeLimit, "r");
                added++;
            }
        }
        catch (S3BackupException failure) when (failure.ErrorId == ErrorId.PolicyTooLarge)
        {
            // Counted independently (compact JSON of the same policy): 38 such principals take it to 2,005 characters;
            // a 39th would pass the 2,048-character default.
            Assert.Equal(38, added);
            Assert.True(policy.QuotaSize <= TrustService.DefaultPolicySizeLimit);
        }
    }
}
