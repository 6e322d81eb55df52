using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using S3Replication.Trust;
using Xunit;

namespace S3Replication.Tests.Trust;

public class IamClientTests
{
    private const string Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    private static string GetRoleResponse(string document) => $"""
        <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <GetRoleResult><Role>
            <Path>/</Path><RoleName>BackupRole</RoleName><RoleId>AROADBQP57FF2AEXAMPLE</RoleId>
            <Arn>arn:aws:iam::123456789012:role/BackupRole</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate>
            <AssumeRolePolicyDocument>{document}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>
          </Role></GetRoleResult>
          <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
        </GetRoleResponse>
        """;

    [Fact]
    public async Task Signs_get_role_exactly_as_an_independent_sigv4_implementation_does()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.OK, GetRoleResponse(Uri.EscapeDataString(Policy)));

        var role = await client.GetRoleAsync("BackupRole", default);

        var request = Assert.Single(http.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://iam.amazonaws.com/", request.Uri.AbsoluteUri);
        Assert.Equal("Action=GetRole&RoleName=BackupRole&Version=2010-05-08", request.Body);
        Assert.Equal("20150830T123600Z", request.Header("X-Amz-Date"));
        // Computed by a separate SigV4 implementation (Python hmac/hashlib) that reproduces the signature in AWS's
        // own documentation example (IAM ListUsers, 5d672d79...), for this exact request.
        Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, " +
                     "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, " +
                     "Signature=cfc18ba2046f03049265b1e2bcbfac02f72a703ea963c340ba74cdafe4bf6533", request.Header("Authorization"));
        Assert.Equal(("BackupRole", "arn:aws:iam::123456789012:role/BackupRole", "AROADBQP57FF2AEXAMPLE"), (role.RoleName, role.Arn, role.RoleId));
        Assert.True(PolicyEquivalence.AreEquivalent(TrustPolicyDocument.Parse(role.AssumeRolePolicyDocument, "BackupRole"), TrustPolicyDocument.Parse(Policy, "BackupRole")));
    }

    [Fact]
    public async Task Sends_the_new_policy_form_encoded_with_the_session_token_for_temporary_credentials()
    {
        var (client, http, _) = IamTestClient.Create(new SessionAWSCredentials("ASIATEMP", "secret", "the-session-token"));
        http.Respond(HttpStatusCode.OK, "<UpdateAssumeRolePolicyResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></UpdateAssumeRolePolicyResponse>");

        await client.UpdateAssumeRolePolicyAsync("BackupRole", Policy, default);

        var request = Assert.Single(http.Requests);
        Assert.Equal(Policy, request.Form["PolicyDocument"]);
        Assert.Equal(("UpdateAssumeRolePolicy", "BackupRole", "2010-05-08"), (request.Form["Action"], request.Form["RoleName"], request.Form["Version"]));
        Assert.Equal("the-session-token", request.Header("X-Amz-Security-Token"));
        Assert.Contains("x-amz-security-token", request.Header("Authorization"));
    }

    [Theory]
    [InlineData("eu-west-2", null, "https://iam.amazonaws.com/", "us-east-1")]
    [InlineData("cn-northwest-1", null, "https://iam.cn-north-1.amazonaws.com.cn/", "cn-north-1")]
    [InlineData("us-gov-east-1", null, "https://iam.us-gov.amazonaws.com/", "us-gov-west-1")]
    [InlineData("us-east-1", "http://127.0.0.1:8000", "http://127.0.0.1:8000/", "us-east-1")]
    public void Chooses_the_partitions_endpoint_and_signing_region(string region, string? endpoint, string expectedEndpoint, string expectedRegion)
    {
        var (uri, signingRegion) = IamClient.EndpointFor(IamTestClient.Settings(region, endpoint));
        Assert.Equal((expectedEndpoint, expectedRegion), (uri.AbsoluteUri, signingRegion));
    }

    [Fact]
    public async Task Retries_throttling_and_server_errors_with_growing_backoff()
    {
        var (client, http, delays) = IamTestClient.Create();
        http.Respond(HttpStatusCode.BadRequest, IamTestClient.Error("Throttling", "Rate exceeded"))
            .Respond(HttpStatusCode.ServiceUnavailable, "<html>busy</html>")
            .Respond(HttpStatusCode.OK, GetRoleResponse(Policy));

        var role = await client.GetRoleAsync("BackupRole", default);

        Assert.Equal("BackupRole", role.RoleName);
        Assert.Equal(3, http.Requests.Count);
        Assert.Equal(2, delays.Count);
        Assert.True(delays[1] > TimeSpan.Zero && delays[0] > TimeSpan.Zero);
        Assert.InRange(delays[1].TotalMilliseconds, 200, 600);
    }

    [Fact]
    public async Task Gives_up_after_five_attempts()
    {
        var (client, http, delays) = IamTestClient.Create();
        for (var attempt = 0; attempt < IamClient.RequestAttempts; attempt++)
        {
            http.Respond(HttpStatusCode.InternalServerError, IamTestClient.Error("ServiceFailure", "try later"));
        }
        var failure = await Assert.ThrowsAsync<IamException>(() => client.GetRoleAsync("BackupRole", default));
        Assert.Equal("ServiceFailure", failure.Code);
        Assert.Equal(IamClient.RequestAttempts, http.Requests.Count);
        Assert.Equal(IamClient.RequestAttempts - 1, delays.Count);
    }

    [Theory]
    [InlineData("NoSuchEntity")]
    [InlineData("MalformedPolicyDocument")]
    [InlineData("AccessDenied")]
    public async Task Does_not_retry_client_errors(string code)
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(code == "AccessDenied" ? HttpStatusCode.Forbidden : HttpStatusCode.BadRequest, IamTestClient.Error(code, "no"));
        var failure = await Assert.ThrowsAsync<IamException>(() => client.GetRoleAsync("BackupRole", default));
        Assert.Equal(code, failure.Code);
        Assert.Single(http.Requests);
    }

    [Fact]
    public async Task Reads_the_error_code_from_ceph_rgws_s3_shaped_error_xml()
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(HttpStatusCode.NotFound, "<?xml version=\"1.0\"?><Error><Code>NoSuchEntity</Code><RequestId>tx1</RequestId><HostId>h</HostId></Error>");
        Assert.Equal("NoSuchEntity", (await Assert.ThrowsAsync<IamException>(() => client.GetRoleAsync("Nope", default))).Code);
    }

    [Theory]
    [InlineData("NoSuchEntity", HttpStatusCode.NotFound, ErrorId.RoleNotFound, "Role Gone was not found in account 123456789012")]
    [InlineData("MalformedPolicyDocument", HttpStatusCode.BadRequest, ErrorId.MalformedPolicyDocument, "IAM refused the new trust policy of role Gone (Invalid principal)")]
    [InlineData("LimitExceeded", HttpStatusCode.Conflict, ErrorId.LimitExceeded, "over a quota")]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, ErrorId.AccessDenied, "iam:GetRole on role Gone was denied")]
    public async Task Iam_errors_become_clear_errors_naming_the_role_and_account(string code, HttpStatusCode status, ErrorId expected, string message)
    {
        var (client, http, _) = IamTestClient.Create();
        http.Respond(status, IamTestClient.Error(code, code == "MalformedPolicyDocument" ? "Invalid principal." : "x"));
        var service = new TrustService(client, "123456789012", TimeSpan.Zero);
        var failure = await Assert.ThrowsAsync<S3BackupException>(() => service.GetAsync("Gone", default));
        Assert.Equal(expected, failure.ErrorId);
        Assert.Contains(message, failure.Message);
        Assert.Equal("Gone", failure.Target);
    }

    [Fact]
    public async Task A_connection_failure_is_retried()
    {
        var handler = new FlakyHandler(failures: 2, GetRoleResponse(Policy));
        using var client = new IamClient(IamTestClient.DocumentationKeys, IamTestClient.Settings(), handler, () => IamTestClient.SignedAt, (_, _) => Task.CompletedTask);
        Assert.Equal("BackupRole", (await client.GetRoleAsync("BackupRole", default)).RoleName);
        Assert.Equal(3, handler.Calls);
    }

    private sealed class FlakyHandler : HttpMessageHandler
    {
        private readonly string _body;
        private int _failures;

        public FlakyHandler(int failures, string body)
        {
            _failures = failures;
            _body = body;
        }

        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return _failures-- > 0
                ? throw new HttpRequestException("Connection reset by peer")
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(_body) });
        }
    }
}
