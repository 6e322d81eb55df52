using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class AssumeRoleCredentialsTests
{
    private const string Endpoint = "http://sts.example.test:8000";
    private const string RoleA = "arn:aws:iam::111111111111:role/BackupRole";
    private const string RoleB = "arn:aws:iam::222222222222:role/Restore";
    private static readonly DateTime Expiry = new(2031, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private sealed class FixedMfa : IMfaCodeSource
    {
        private readonly string? _code;
        public FixedMfa(string? code) => _code = code;
        public List<string> Asked { get; } = new();
        public Task<string?> ReadCodeAsync(string profileName, string mfaSerial)
        {
            Asked.Add($"{profileName}:{mfaSerial}");
            return Task.FromResult(_code);
        }
    }

    private static (AwsSession Session, RecordingHandler Http, ProfileFolder Folder) Connect(string config, string profile, RecordingHandler http)
    {
        var folder = new ProfileFolder(config, "[imap]\naws_access_key_id = AKIAOPERATOR\naws_secret_access_key = operatorSecret\n");
        var session = SessionFactory.Create(new SessionRequest(profile, "eu-west-2", Endpoint), folder.Environment, new RecordingHttpClientFactory(http));
        return (session, http, folder);
    }

    [Fact]
    public async Task Assumes_the_role_at_the_sessions_endpoint_signed_with_the_source_keys()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.OK,
            StsResponses.AssumeRole("ASIATEMP1", "tempSecret1", "token1", "arn:aws:sts::111111111111:assumed-role/BackupRole/s", Expiry));
        var (session, _, folder) = Connect(
            $"[profile backup-role]\nrole_arn = {RoleA}\nsource_profile = imap\nexternal_id = ext-9\nduration_seconds = 1800\nrole_session_name = nightly\n",
            "backup-role", http);
        using var _ = folder;

        var credentials = await session.Credentials.GetCredentialsAsync();

        Assert.Equal(("ASIATEMP1", "tempSecret1", "token1"), (credentials.AccessKey, credentials.SecretKey, credentials.Token));
        var request = Assert.Single(http.Requests);
        Assert.Equal(Endpoint + "/", request.Uri.AbsoluteUri);
        Assert.Contains("Credential=AKIAOPERATOR/", request.Header("Authorization"));
        Assert.Contains("/eu-west-2/sts/aws4_request", request.Header("Authorization"));
        var form = request.Form;
        Assert.Equal("AssumeRole", form["Action"]);
        Assert.Equal(RoleA, form["RoleArn"]);
        Assert.Equal("nightly", form["RoleSessionName"]);
        Assert.Equal("ext-9", form["ExternalId"]);
        Assert.Equal("1800", form["DurationSeconds"]);
        Assert.False(form.ContainsKey("SerialNumber"));
        Assert.Equal(Expiry.ToLocalTime(), session.Expiration);
    }

    [Fact]
    public async Task Caches_role_credentials_until_they_near_expiry()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.OK,
            StsResponses.AssumeRole("ASIATEMP1", "s", "t", "arn:aws:sts::111111111111:assumed-role/BackupRole/s", Expiry));
        var (session, _, folder) = Connect($"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\n", "r", http);
        using var _ = folder;
        await session.Credentials.GetCredentialsAsync();
        await session.Credentials.GetCredentialsAsync();
        Assert.Single(http.Requests);
        Assert.StartsWith("S3Replication-", http.Requests[0].Form["RoleSessionName"]);
    }

    [Fact]
    public async Task Chained_roles_sign_each_hop_with_the_previous_hops_credentials()
    {
        var http = new RecordingHandler()
            .Respond(HttpStatusCode.OK, StsResponses.AssumeRole("ASIAHOP1", "hop1Secret", "hop1Token", "arn:aws:sts::111111111111:assumed-role/BackupRole/a", Expiry))
            .Respond(HttpStatusCode.OK, StsResponses.AssumeRole("ASIAHOP2", "hop2Secret", "hop2Token", "arn:aws:sts::222222222222:assumed-role/Restore/b", Expiry));
        var (session, _, folder) = Connect(
            $"[profile inner]\nrole_arn = {RoleA}\nsource_profile = imap\n[profile outer]\nrole_arn = {RoleB}\nsource_profile = inner\n", "outer", http);
        using var _ = folder;

        var credentials = await session.Credentials.GetCredentialsAsync();

        Assert.Equal("ASIAHOP2", credentials.AccessKey);
        Assert.Equal(new[] { RoleA, RoleB }, http.Requests.Select(request => request.Form["RoleArn"]));
        Assert.Contains("Credential=AKIAOPERATOR/", http.Requests[0].Header("Authorization"));
        Assert.Contains("Credential=ASIAHOP1/", http.Requests[1].Header("Authorization"));
        Assert.Equal("hop1Token", http.Requests[1].Header("X-Amz-Security-Token"));
    }

    [Fact]
    public async Task Sends_the_mfa_serial_and_the_code_the_host_supplies()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.OK,
            StsResponses.AssumeRole("ASIAMFA", "s", "t", "arn:aws:sts::111111111111:assumed-role/BackupRole/m", Expiry));
        var (session, _, folder) = Connect(
            $"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\nmfa_serial = arn:aws:iam::111111111111:mfa/ops\n", "r", http);
        using var _ = folder;
        var mfa = new FixedMfa(" 123456 ");
        using (Invocation.WithPrompt(mfa))
        {
            await session.Credentials.GetCredentialsAsync();
        }

        Assert.Equal(new[] { "r:arn:aws:iam::111111111111:mfa/ops" }, mfa.Asked);
        Assert.Equal("arn:aws:iam::111111111111:mfa/ops", http.Requests[0].Form["SerialNumber"]);
        Assert.Equal("123456", http.Requests[0].Form["TokenCode"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Without_an_mfa_code_fails_clearly_before_calling_sts(string? code)
    {
        var http = new RecordingHandler();
        var (session, _, folder) = Connect(
            $"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\nmfa_serial = arn:aws:iam::111111111111:mfa/ops\n", "r", http);
        using var _ = folder;
        using var prompt = Invocation.WithPrompt(code is null ? null : new FixedMfa(code));

        var failure = await Assert.ThrowsAsync<S3BackupException>(() => session.Credentials.GetCredentialsAsync());

        Assert.Equal(ErrorId.MfaCodeRequired, failure.ErrorId);
        Assert.Contains("Connect-S3Backup -ProfileName r", failure.Message);
        Assert.Empty(http.Requests);
    }

    [Fact]
    public async Task A_denied_assume_role_points_at_the_trust_policy_without_leaking_keys()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.Forbidden,
            StsResponses.Error("AccessDenied", "User is not authorized to perform: sts:AssumeRole"));
        var (session, _, folder) = Connect($"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\n", "r", http);
        using var _ = folder;

        var failure = await Assert.ThrowsAsync<S3BackupException>(() => session.Credentials.GetCredentialsAsync());

        Assert.Equal(ErrorId.AccessDenied, failure.ErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.PermissionDenied, failure.Category);
        Assert.Contains(RoleA, failure.Message);
        Assert.Contains("Add-BackupRoleTrustPrincipal", failure.Message);
        Assert.DoesNotContain("operatorSecret", failure.ToString());
    }

    [Fact]
    public async Task Identity_falls_back_to_the_assumed_role_when_the_endpoint_has_no_get_caller_identity()
    {
        var http = new RecordingHandler()
            .Respond(HttpStatusCode.OK, StsResponses.AssumeRole("ASIATEMP1", "s", "t", "arn:aws:sts::111111111111:assumed-role/BackupRole/x", Expiry))
            .Respond(HttpStatusCode.MethodNotAllowed, "<Error><Code>MethodNotAllowed</Code></Error>");
        var (session, _, folder) = Connect($"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\n", "r", http);
        using var _ = folder;
        await session.EnsureCredentialsAsync();

        var identity = await session.GetIdentityAsync(default);

        Assert.Equal(new CallerIdentity("111111111111", "arn:aws:sts::111111111111:assumed-role/BackupRole/x", "AssumeRole"), identity);
        Assert.Equal("GetCallerIdentity", http.Requests[1].Form["Action"]);
    }
}
