using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using S3Replication.Diagnostics;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>
/// IamClient's reads of a role's policies on the wire. The answers are shaped as botocore's IAM model
/// (data/iam/2010-05-08/service-2.json: result wrappers, lists of &lt;member&gt;, IsTruncated and Marker), and one test has
/// botocore send the same calls and parse the same answers to show that both sides agree.
/// </summary>
public class RolePolicyReadsTests
{
    private const string Namespace = "https://iam.amazonaws.com/doc/2010-05-08/";
    private const string ManagedArn = "arn:aws:iam::111122223333:policy/service-role/ReplicationDestination";

    // Sid, Resource and Condition hold a space, a plus sign and a percent sign: IAM writes them as %20, %2B and %25.
    private const string InlinePolicy = """
        {
          "Version": "2012-10-17",
          "Statement": [
            { "Sid": "ReadSource", "Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl"],
              "Resource": "arn:aws:s3:::source/logs+2025/*" },
            { "Sid": "OnlyTls", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
              "Condition": { "StringLike": { "aws:UserAgent": "old client 100%" } } }
          ]
        }
        """;

    private const string ManagedPolicy = """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Replicate*","Resource":"arn:aws:s3:::backup/*"}}""";

    private static string Answer(string operation, string result) =>
        $"""<{operation}Response xmlns="{Namespace}"><{operation}Result>{result}</{operation}Result><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></{operation}Response>""";

    private static string Page(string more) => more.Length == 0 ? "<IsTruncated>false</IsTruncated>" : $"<IsTruncated>true</IsTruncated><Marker>{more}</Marker>";

    private static string RolePolicyNames(string more, params string[] names) =>
        Answer("ListRolePolicies", $"<PolicyNames>{string.Concat(names.Select(name => $"<member>{name}</member>"))}</PolicyNames>{Page(more)}");

    private static string AttachedPolicies(string more, params (string Name, string Arn)[] policies) =>
        Answer("ListAttachedRolePolicies", "<AttachedPolicies>" +
            string.Concat(policies.Select(policy => $"<member><PolicyName>{policy.Name}</PolicyName><PolicyArn>{policy.Arn}</PolicyArn></member>")) +
            $"</AttachedPolicies>{Page(more)}");

    private static string RolePolicy(string policyName, string document) =>
        Answer("GetRolePolicy", $"<RoleName>ReplicationRole</RoleName><PolicyName>{policyName}</PolicyName><PolicyDocument>{document}</PolicyDocument>");

    private static string Policy(string arn, string defaultVersion) => Answer("GetPolicy",
        $"<Policy><PolicyName>ReplicationDestination</PolicyName><DefaultVersionId>{defaultVersion}</DefaultVersionId><PolicyId>ANPAJ2UCCR6DPCEXAMPLE</PolicyId>" +
        $"<Path>/service-role/</Path><Arn>{arn}</Arn><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable>" +
        "<CreateDate>2025-01-01T00:00:00Z</CreateDate><UpdateDate>2025-03-01T00:00:00Z</UpdateDate></Policy>");

    private static string PolicyVersion(string version, string document) => Answer("GetPolicyVersion",
        $"<PolicyVersion><Document>{document}</Document><IsDefaultVersion>true</IsDefaultVersion><VersionId>{version}</VersionId>" +
        "<CreateDate>2025-03-01T00:00:00Z</CreateDate></PolicyVersion>");

    [Fact]
    public async Task Lists_inline_policy_names_page_by_page_passing_each_marker_back()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicyNames("AAEAAb2nkEXAMPLE", "Replication", "Logs"))
            .Respond(HttpStatusCode.OK, RolePolicyNames("", "Kms"));

        var names = await client.ListRolePolicyNamesAsync("ReplicationRole", default);

        Assert.Equal(new[] { "Replication", "Logs", "Kms" }, names);
        Assert.Equal(2, http.Requests.Count);
        Assert.Equal(("ListRolePolicies", "ReplicationRole", false), (http.Requests[0].Form["Action"], http.Requests[0].Form["RoleName"], http.Requests[0].Form.ContainsKey("Marker")));
        Assert.Equal("AAEAAb2nkEXAMPLE", http.Requests[1].Form["Marker"]);
    }

    [Fact]
    public async Task Lists_attached_policies_page_by_page()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, AttachedPolicies("next-page", ("ReplicationDestination", ManagedArn)))
            .Respond(HttpStatusCode.OK, AttachedPolicies("", ("AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")));

        var policies = await client.ListAttachedRolePoliciesAsync("ReplicationRole", default);

        Assert.Equal(new[] { ("ReplicationDestination", ManagedArn), ("AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess") }, policies);
        Assert.Equal(new[] { "ListAttachedRolePolicies", "ListAttachedRolePolicies" }, http.Requests.Select(request => request.Form["Action"]));
        Assert.Equal("next-page", http.Requests[1].Form["Marker"]);
    }

    [Fact]
    public async Task A_role_without_policies_answers_empty_lists()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicyNames("")).Respond(HttpStatusCode.OK, Answer("ListAttachedRolePolicies", "<AttachedPolicies/><IsTruncated>false</IsTruncated>"));

        Assert.Empty(await client.ListRolePolicyNamesAsync("Bare", default));
        Assert.Empty(await client.ListAttachedRolePoliciesAsync("Bare", default));
    }

    [Fact]
    public async Task Reads_an_inline_policy_url_decoded()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicy("Replication", Uri.EscapeDataString(InlinePolicy)));

        var document = await client.GetRolePolicyDocumentAsync("ReplicationRole", "Replication", default);

        Assert.Equal(InlinePolicy.Trim(), document);
        var request = Assert.Single(http.Requests);
        Assert.Equal(("GetRolePolicy", "ReplicationRole", "Replication"), (request.Form["Action"], request.Form["RoleName"], request.Form["PolicyName"]));
    }

    [Theory]
    [InlineData("%7B%22a%22%3A%22x%2By%22%7D", """{"a":"x+y"}""")]
    [InlineData("%7B%22a%22%3A%22x+y%22%7D", """{"a":"x+y"}""")] // a bare '+' is a plus sign, not a space, to botocore's unquote too
    [InlineData("%7B%22a%22%3A%22x%20y%25%22%7D", """{"a":"x y%"}""")]
    [InlineData("""{"a":"x%20y"}""", """{"a":"x%20y"}""")] // Ceph RGW answers raw JSON: left as it is
    public async Task Decodes_a_document_as_botocore_does(string answered, string expected)
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicy("p", answered));
        Assert.Equal(expected, await client.GetRolePolicyDocumentAsync("r", "p", default));
    }

    [Fact]
    public async Task Reads_a_managed_policy_at_its_default_version()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, Policy(ManagedArn, "v3")).Respond(HttpStatusCode.OK, PolicyVersion("v3", Uri.EscapeDataString(ManagedPolicy)));

        var document = await client.GetPolicyDefaultVersionAsync(ManagedArn, default);

        Assert.Equal(ManagedPolicy, document);
        Assert.Equal(("GetPolicy", ManagedArn), (http.Requests[0].Form["Action"], http.Requests[0].Form["PolicyArn"]));
        Assert.Equal(("GetPolicyVersion", ManagedArn, "v3"), (http.Requests[1].Form["Action"], http.Requests[1].Form["PolicyArn"], http.Requests[1].Form["VersionId"]));
    }

    [Fact]
    public async Task Sends_and_reads_what_botocore_sends_and_reads()
    {
        var (client, http, _) = IamTestClient.Create();
        var calls = new (string Operation, JsonObject Parameters, string Answer)[]
        {
            ("ListRolePolicies", new JsonObject { ["RoleName"] = "ReplicationRole" }, RolePolicyNames("AAEAAb2nkEXAMPLE", "Replication", "Logs")),
            ("ListRolePolicies", new JsonObject { ["RoleName"] = "ReplicationRole", ["Marker"] = "AAEAAb2nkEXAMPLE" }, RolePolicyNames("", "Kms")),
            ("GetRolePolicy", new JsonObject { ["RoleName"] = "ReplicationRole", ["PolicyName"] = "Replication" }, RolePolicy("Replication", Uri.EscapeDataString(InlinePolicy))),
            ("ListAttachedRolePolicies", new JsonObject { ["RoleName"] = "ReplicationRole" }, AttachedPolicies("", ("ReplicationDestination", ManagedArn))),
            ("GetPolicy", new JsonObject { ["PolicyArn"] = ManagedArn }, Policy(ManagedArn, "v3")),
            ("GetPolicyVersion", new JsonObject { ["PolicyArn"] = ManagedArn, ["VersionId"] = "v3" }, PolicyVersion("v3", Uri.EscapeDataString(ManagedPolicy))),
        };
        foreach (var call in calls)
        {
            http.Respond(HttpStatusCode.OK, call.Answer);
        }

        var names = await client.ListRolePolicyNamesAsync("ReplicationRole", default);
        var inline = await client.GetRolePolicyDocumentAsync("ReplicationRole", "Replication", default);
        var attached = await client.ListAttachedRolePoliciesAsync("ReplicationRole", default);
        var managed = await client.GetPolicyDefaultVersionAsync(ManagedArn, default);

        var theirs = Botocore.SendIam(new JsonArray(calls.Select(call =>
            (JsonNode?)new JsonObject { ["operation"] = call.Operation, ["params"] = call.Parameters, ["answer"] = call.Answer }).ToArray()));
        Assert.Equal(theirs.Select(call => Form(call!["body"]!.GetValue<string>())), http.Requests.Select(request => request.Form));
        var parsed = theirs.Select(call => call!["parsed"]).ToList();
        Assert.Equal(parsed[0]!["PolicyNames"]!.AsArray().Concat(parsed[1]!["PolicyNames"]!.AsArray()).Select(name => name!.GetValue<string>()), names);
        Assert.True(JsonNode.DeepEquals(parsed[2]!["PolicyDocument"], JsonNode.Parse(inline)), $"botocore read {parsed[2]!["PolicyDocument"]}, IamClient {inline}");
        Assert.Equal(parsed[3]!["AttachedPolicies"]!.AsArray().Select(policy => (policy!["PolicyName"]!.GetValue<string>(), policy["PolicyArn"]!.GetValue<string>())), attached);
        Assert.Equal("v3", parsed[4]!["Policy"]!["DefaultVersionId"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(parsed[5]!["PolicyVersion"]!["Document"], JsonNode.Parse(managed)), $"botocore read {parsed[5]!["PolicyVersion"]!["Document"]}, IamClient {managed}");
    }

    /// <summary>A Query-API body read the way RecordedRequest.Form reads ours.</summary>
    private static IReadOnlyDictionary<string, string> Form(string body) =>
        new RecordedRequest(System.Net.Http.HttpMethod.Post, new Uri("https://iam.amazonaws.com/"), new Dictionary<string, string>(), body).Form;

    [Fact]
    public async Task A_truncated_page_without_a_marker_is_an_error_not_a_short_list()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, Answer("ListRolePolicies", "<PolicyNames><member>a</member></PolicyNames><IsTruncated>true</IsTruncated>"));

        var failure = await Assert.ThrowsAsync<IamException>(() => client.ListRolePolicyNamesAsync("r", default));

        Assert.Equal(("UnexpectedResponse", "ListRolePolicies answered without a Marker element."), (failure.Code, failure.Message));
    }

    [Fact]
    public async Task A_server_repeating_its_marker_is_stopped()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, AttachedPolicies("same", ("a", "arn:aws:iam::111122223333:policy/a")))
            .Respond(HttpStatusCode.OK, AttachedPolicies("same", ("a", "arn:aws:iam::111122223333:policy/a")));

        var failure = await Assert.ThrowsAsync<IamException>(() => client.ListAttachedRolePoliciesAsync("r", default));

        Assert.Equal("ListAttachedRolePolicies answered the same Marker twice.", failure.Message);
        Assert.Equal(2, http.Requests.Count);
    }

    [Fact]
    public async Task A_policy_without_a_default_version_is_an_unexpected_answer()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, Answer("GetPolicy", "<Policy><PolicyName>x</PolicyName></Policy>"));

        var failure = await Assert.ThrowsAsync<IamException>(() => client.GetPolicyDefaultVersionAsync(ManagedArn, default));

        Assert.Equal("GetPolicy answered without a DefaultVersionId element.", failure.Message);
    }

    [Fact]
    public async Task Role_policies_reads_inline_then_attached_policies_named_for_verdicts()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Responder = request => (HttpStatusCode.OK, request.Form["Action"] switch
        {
            "ListRolePolicies" => RolePolicyNames("", "Replication"),
            "GetRolePolicy" => RolePolicy("Replication", Uri.EscapeDataString(InlinePolicy)),
            "ListAttachedRolePolicies" => AttachedPolicies("", ("ReplicationDestination", ManagedArn)),
            "GetPolicy" => Policy(ManagedArn, "v3"),
            "GetPolicyVersion" => PolicyVersion("v3", Uri.EscapeDataString(ManagedPolicy)),
            var other => throw new InvalidOperationException($"unexpected {other}"),
        });

        var read = await RolePolicies.ReadAsync(client, "ReplicationRole", default);
        var policies = read.Policies;

        Assert.Null(read.AttachedNotRead);
        Assert.Equal(new[] { "inline policy Replication", ManagedArn }, policies.Select(policy => policy.Name));
        Assert.Equal(new[] { "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy", "GetPolicyVersion" },
            http.Requests.Select(request => request.Form["Action"]));
        var replicate = PolicyEvaluator.EvaluateIdentity(policies, "s3:ReplicateObject", "arn:aws:s3:::backup/logs+2025/a.txt");
        Assert.Equal((PolicyDecision.Allowed, ManagedArn, "statement 1"), (replicate.Decision, replicate.DecidingPolicy, replicate.DecidingStatement));
        Assert.Equal(new[] { "OnlyTls" }, replicate.ConditionsNotEvaluated);
        var acl = PolicyEvaluator.EvaluateIdentity(policies, "s3:GetObjectVersionAcl", "arn:aws:s3:::source/logs+2025/a.txt");
        Assert.Equal(("inline policy Replication", "ReadSource"), (acl.DecidingPolicy, acl.DecidingStatement));
    }

    [Fact]
    public async Task Role_policies_lets_an_iam_refusal_through_for_the_caller_to_explain()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicyNames("", "Replication"))
            .Respond(HttpStatusCode.Forbidden, IamTestClient.Error("AccessDenied", "not authorized to perform: iam:GetRolePolicy"));

        var failure = await Assert.ThrowsAsync<IamException>(() => RolePolicies.ReadAsync(client, "ReplicationRole", default));

        Assert.Equal("AccessDenied", failure.Code);
    }

    [Fact]
    public async Task A_server_without_managed_policies_gives_the_inline_ones_and_says_so()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, RolePolicyNames("", "Replication"))
            .Respond(HttpStatusCode.OK, RolePolicy("Replication", Uri.EscapeDataString(InlinePolicy)))
            .Respond(HttpStatusCode.MethodNotAllowed, IamTestClient.Error("MethodNotAllowed", ""));

        var read = await RolePolicies.ReadAsync(client, "ReplicationRole", default);

        Assert.Equal(new[] { "inline policy Replication" }, read.Policies.Select(policy => policy.Name));
        Assert.Equal("this server does not offer ListAttachedRolePolicies (MethodNotAllowed)", read.AttachedNotRead);
    }
}
