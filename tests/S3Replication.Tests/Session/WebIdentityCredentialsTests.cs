using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class WebIdentityCredentialsTests
{
    private const string Endpoint = "http://sts.example.test:8000";
    private const string Role = "arn:aws:iam::111122223333:role/Runbook";

    private static string Response(string accessKey) => $"""
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <SubjectFromWebIdentityToken>system:serviceaccount:ops:runbook</SubjectFromWebIdentityToken>
            <AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/Runbook/nightly</Arn><AssumedRoleId>AROAX:nightly</AssumedRoleId></AssumedRoleUser>
            <Credentials>
              <AccessKeyId>{accessKey}</AccessKeyId><SecretAccessKey>webSecret</SecretAccessKey>
              <SessionToken>webToken</SessionToken><Expiration>2031-01-02T03:04:05Z</Expiration>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
          <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
        </AssumeRoleWithWebIdentityResponse>
        """;

    [Fact]
    public async Task The_token_file_is_exchanged_unsigned_at_the_sessions_sts_endpoint_and_read_again_on_renewal()
    {
        using var folder = new ProfileFolder("[profile eks]\nrole_arn = " + Role + "\nweb_identity_token_file = TOKEN\nrole_session_name = nightly\n"
            .Replace("TOKEN", "PLACEHOLDER"));
        var tokenFile = Path.Combine(folder.Folder, "token");
        File.WriteAllText(folder.ConfigPath, File.ReadAllText(folder.ConfigPath).Replace("PLACEHOLDER", tokenFile));
        File.WriteAllText(tokenFile, "eyJ.first.token\n");
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, Response("ASIAWEB1"));

        var session = SessionFactory.Create(new SessionRequest("eks", "eu-west-2", Endpoint), folder.Environment, new RecordingHttpClientFactory(http));
        var credentials = await session.Credentials.GetCredentialsAsync();

        Assert.Equal(("ASIAWEB1", "webSecret", "webToken"), (credentials.AccessKey, credentials.SecretKey, credentials.Token));
        var request = Assert.Single(http.Requests);
        Assert.Equal(Endpoint + "/", request.Uri.AbsoluteUri);
        Assert.Equal("", request.Header("Authorization"));
        Assert.Equal(("AssumeRoleWithWebIdentity", Role, "nightly", "eyJ.first.token"),
            (request.Form["Action"], request.Form["RoleArn"], request.Form["RoleSessionName"], request.Form["WebIdentityToken"]));
        Assert.Equal(new DateTime(2031, 1, 2, 3, 4, 5, DateTimeKind.Utc), session.Expiration!.Value.ToUniversalTime());
        Assert.Equal("WebIdentity", session.ToRecord(false).CredentialKind.ToString());
    }

    [Fact]
    public async Task The_environment_form_works_without_any_profile()
    {
        using var folder = new ProfileFolder();
        var tokenFile = Path.Combine(folder.Folder, "token");
        File.WriteAllText(tokenFile, "env-token");
        var environment = new FixedEnvironment(new Dictionary<string, string>
        {
            ["AWS_SHARED_CREDENTIALS_FILE"] = folder.CredentialsPath,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
            ["AWS_ROLE_ARN"] = Role,
        }, folder.Folder);
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, Response("ASIAWEB2"));

        var session = SessionFactory.Create(new SessionRequest(null, "eu-west-2", Endpoint), environment, new RecordingHttpClientFactory(http));

        Assert.Equal("ASIAWEB2", (await session.Credentials.GetCredentialsAsync()).AccessKey);
        Assert.Equal("env-token", Assert.Single(http.Requests).Form["WebIdentityToken"]);
        Assert.StartsWith("S3Replication-", http.Requests[0].Form["RoleSessionName"]);
    }

    [Fact]
    public async Task A_missing_token_file_or_a_refusal_says_what_to_fix_without_the_token()
    {
        using var folder = new ProfileFolder($"[profile eks]\nrole_arn = {Role}\nweb_identity_token_file = /nonexistent/token\n");
        var http = new RecordingHandler();
        var missing = await Assert.ThrowsAsync<S3BackupException>(() =>
            SessionFactory.Create(new SessionRequest("eks", null, Endpoint), folder.Environment, new RecordingHttpClientFactory(http)).Credentials.GetCredentialsAsync());
        Assert.Equal(ErrorId.CredentialsFailed, missing.ErrorId);
        Assert.Contains("/nonexistent/token (profile eks) could not be read", missing.Message);
        Assert.Empty(http.Requests);

        var tokenFile = Path.Combine(folder.Folder, "token");
        File.WriteAllText(tokenFile, "refused-token-text");
        File.WriteAllText(folder.ConfigPath, $"[profile eks]\nrole_arn = {Role}\nweb_identity_token_file = {tokenFile}\n");
        http.Responder = _ => (HttpStatusCode.BadRequest, StsResponses.Error("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://issuer"));
        var refused = await Assert.ThrowsAsync<S3BackupException>(() =>
            SessionFactory.Create(new SessionRequest("eks", null, Endpoint), folder.Environment, new RecordingHttpClientFactory(http)).Credentials.GetCredentialsAsync());
        Assert.Equal(ErrorId.AccessDenied, refused.ErrorId);
        Assert.Contains("InvalidIdentityToken", refused.Message);
        Assert.Contains("sts:AssumeRoleWithWebIdentity", refused.Message);
        Assert.DoesNotContain("refused-token-text", refused.Message);
    }
}
