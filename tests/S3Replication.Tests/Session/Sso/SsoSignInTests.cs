using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Amazon.SSOOIDC;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session.Sso;

public class SsoSignInTests
{
    private const string Portal = "http://identity-center.test";
    private const string StartUrl = "https://corp.awsapps.com/start";

    private const string SessionConfig = $"""
        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = BackupOperator
        region = eu-west-2

        [sso-session corp]
        sso_start_url = {StartUrl}
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access

        [profile legacy]
        sso_start_url = {StartUrl}
        sso_region = eu-west-1
        sso_account_id = 111122223333
        sso_role_name = ReadOnly

        [profile backup-role]
        role_arn = arn:aws:iam::444455556666:role/BackupRole
        source_profile = dev
        """;

    private static ProfileFolder Folder(string config = SessionConfig) => new(config, variables: new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_SSO"] = Portal,
        ["AWS_ENDPOINT_URL_SSO_OIDC"] = Portal,
    });

    private static SsoTokenCache Cache(ProfileFolder folder) => SsoTokenCache.For(folder.Environment);

    private static SsoProfile Profile(ProfileFolder folder, string name) => SsoProfile.Read(folder.Catalog(), name);

    private static AwsSession Session(ProfileFolder folder, string profile, FakeIdentityCenter fake) =>
        SessionFactory.Create(new SessionRequest(profile, null, null), folder.Environment, new RecordingHttpClientFactory(fake));

    private static void WriteToken(ProfileFolder folder, SsoProfile profile, string accessToken, DateTimeOffset expiresAt, string? refreshToken,
        DateTimeOffset? registrationExpiresAt = null, string extraField = "")
    {
        var json = new JsonObject
        {
            ["startUrl"] = profile.StartUrl,
            ["region"] = profile.Region,
            ["accessToken"] = accessToken,
            ["expiresAt"] = SsoToken.FormatTime(expiresAt),
        };
        if (refreshToken is not null)
        {
            json["refreshToken"] = refreshToken;
            json["clientId"] = FakeIdentityCenter.ClientId;
            json["clientSecret"] = FakeIdentityCenter.ClientSecret;
            json["registrationExpiresAt"] = SsoToken.FormatTime(registrationExpiresAt ?? DateTimeOffset.UtcNow.AddDays(30));
        }
        if (extraField.Length > 0)
        {
            json[extraField] = "kept";
        }
        var path = Cache(folder).PathFor(profile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static JsonObject ReadTokenFile(ProfileFolder folder, SsoProfile profile) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Cache(folder).PathFor(profile)))!;

    [Theory]
    // SHA-1 of the UTF-8 name, lower-case hex, as the aws CLI names ~/.aws/sso/cache files (values from Python's hashlib).
    [InlineData("corp", "ee0bfd2552fbd840c02cc48b6e823320543c450f")]
    [InlineData("https://corp.awsapps.com/start", "a51746d4aa793ae07b25e90c3a5db96fc7832bd7")]
    public void The_cache_file_is_named_by_the_sha1_of_the_session_name_or_legacy_start_url(string source, string expectedHash)
    {
        Assert.Equal(expectedHash + ".json", SsoTokenCache.FileNameFor(source));
    }

    [Fact]
    public void A_session_profile_keys_its_cache_by_the_session_name_and_a_legacy_profile_by_its_start_url()
    {
        using var folder = Folder();
        var session = Profile(folder, "dev");
        var legacy = Profile(folder, "legacy");

        Assert.Equal(("corp", StartUrl, "eu-west-1", "111122223333", "BackupOperator"),
            (session.SessionName, session.StartUrl, session.Region, session.AccountId, session.RoleName));
        Assert.Equal(new[] { "sso:account:access" }, session.RegistrationScopes);
        Assert.Equal(SsoTokenCache.FileNameFor("corp"), Path.GetFileName(Cache(folder).PathFor(session)));
        Assert.Null(legacy.SessionName);
        Assert.Equal(SsoTokenCache.FileNameFor(StartUrl), Path.GetFileName(Cache(folder).PathFor(legacy)));
        Assert.False(legacy.IsRefreshable);
    }

    [Theory]
    [InlineData("[profile p]\nsso_session = missing\nsso_account_id = 1\nsso_role_name = R\n", "no [sso-session missing] section")]
    [InlineData("[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_region = eu-west-1\n", "has no sso_start_url")]
    [InlineData("[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://a/start\n", "has no sso_region")]
    [InlineData("[profile p]\nsso_session = s\nsso_start_url = https://b/start\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://a/start\nsso_region = eu-west-1\n", "sets sso_start_url = https://b/start, but its [sso-session s] says https://a/start")]
    [InlineData("[profile p]\nsso_start_url = https://a/start\nsso_account_id = 1\nsso_role_name = R\n", "has sso_start_url but no sso_region")]
    [InlineData("[profile p]\nsso_start_url = https://a/start\nsso_region = eu-west-1\nsso_role_name = R\n", "has no sso_account_id")]
    [InlineData("[profile p]\nsso_start_url = https://a/start\nsso_region = eu-west-1\nsso_account_id = 1\n", "has no sso_role_name")]
    [InlineData("[profile p]\nsso_start_url = https://a/start\nsso_region = Ireland\nsso_account_id = 1\nsso_role_name = R\n", "sso_region = Ireland, which is not a region")]
    public void An_incomplete_sso_profile_says_which_setting_is_wrong(string config, string expected)
    {
        using var folder = Folder(config);
        var error = Assert.Throws<S3BackupException>(() => SsoProfile.Read(folder.Catalog(), "p"));
        Assert.Equal(ErrorId.ProfileInvalid, error.ErrorId);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task A_valid_cached_token_gets_role_credentials_from_the_portal_with_the_bearer_token_header()
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        var profile = Profile(folder, "dev");
        var accessToken = fake.IssueAccessToken();
        WriteToken(folder, profile, accessToken, DateTimeOffset.UtcNow.AddHours(4), "refresh-unused");

        var session = Session(folder, "dev", fake);
        var credentials = await session.Credentials.GetCredentialsAsync();

        Assert.Equal((FakeIdentityCenter.RoleAccessKey, FakeIdentityCenter.RoleSecretKey, FakeIdentityCenter.RoleSessionToken),
            (credentials.AccessKey, credentials.SecretKey, credentials.Token));
        var request = Assert.Single(fake.Requests);
        Assert.Equal("GET", request.Method.Method);
        Assert.Equal(Portal + "/federation/credentials?account_id=111122223333&role_name=BackupOperator",
            request.Uri.GetLeftPart(UriPartial.Path) + "?" + string.Join("&", request.Uri.Query.TrimStart('?').Split('&').OrderBy(part => part, StringComparer.Ordinal)));
        Assert.Equal(accessToken, request.Header("x-amz-sso_bearer_token"));
        Assert.Equal("", request.Header("Authorization"));
        Assert.Equal(CredentialKind.Sso, session.Plan.Kind);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(fake.RoleExpirationMs).UtcDateTime, session.Expiration!.Value.ToUniversalTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task An_expired_session_token_is_refreshed_and_the_cache_file_rewritten_keeping_unknown_fields()
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        var profile = Profile(folder, "dev");
        fake.ValidRefreshTokens.Add("refresh-0-SHOULD-NOT-LEAK");
        WriteToken(folder, profile, "stale-access-token", DateTimeOffset.UtcNow.AddMinutes(-5), "refresh-0-SHOULD-NOT-LEAK", extraField: "somethingNew");

        var credentials = await Session(folder, "dev", fake).Credentials.GetCredentialsAsync();

        Assert.Equal(FakeIdentityCenter.RoleAccessKey, credentials.AccessKey);
        Assert.Equal(new[] { "POST /token", "GET /federation/credentials" }, fake.Requests.Select(r => $"{r.Method} {r.Uri.AbsolutePath}"));
        var refresh = (JsonObject)JsonNode.Parse(fake.Requests[0].Body)!;
        Assert.Equal(("refresh_token", FakeIdentityCenter.ClientId, FakeIdentityCenter.ClientSecret, "refresh-0-SHOULD-NOT-LEAK"),
            ((string?)refresh["grantType"], (string?)refresh["clientId"], (string?)refresh["clientSecret"], (string?)refresh["refreshToken"]));
        Assert.Equal("", fake.Requests[0].Header("Authorization"));

        var written = ReadTokenFile(folder, profile);
        Assert.Equal(fake.Requests[1].Header("x-amz-sso_bearer_token"), (string?)written["accessToken"]);
        Assert.NotEqual("refresh-0-SHOULD-NOT-LEAK", (string?)written["refreshToken"]);
        Assert.Equal("kept", (string?)written["somethingNew"]);
        Assert.Equal((StartUrl, "eu-west-1"), ((string?)written["startUrl"], (string?)written["region"]));
        var expiresAt = DateTimeOffset.Parse((string)written["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddHours(7.9), DateTimeOffset.UtcNow.AddHours(8.1));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Cache(folder).PathFor(profile)));
        }
        Assert.Single(Directory.GetFiles(Cache(folder).Folder));
    }

    [Fact]
    public async Task A_token_inside_the_refresh_window_is_refreshed_early_and_used_if_the_refresh_fails()
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        var profile = Profile(folder, "dev");
        var accessToken = fake.IssueAccessToken();
        WriteToken(folder, profile, accessToken, DateTimeOffset.UtcNow.AddMinutes(10), "refresh-the-fake-does-not-know");

        var credentials = await Session(folder, "dev", fake).Credentials.GetCredentialsAsync();

        Assert.Equal(FakeIdentityCenter.RoleAccessKey, credentials.AccessKey);
        Assert.Equal(new[] { "/token", "/federation/credentials" }, fake.Requests.Select(r => r.Uri.AbsolutePath));
        Assert.Equal(accessToken, fake.Requests[1].Header("x-amz-sso_bearer_token"));
        Assert.Equal(accessToken, (string?)ReadTokenFile(folder, profile)["accessToken"]);
    }

    public static IEnumerable<object[]> Unusable => new[]
    {
        new object[] { "dev", null!, "there is no sign-in token for it in" },
        new object[] { "dev", "no-refresh", "and it holds no refresh token" },
        new object[] { "dev", "registration-expired", "its client registration has expired" },
        new object[] { "dev", "refresh-refused", "could not be refreshed (InvalidGrantException" },
        new object[] { "legacy", "no-refresh", "legacy sso_start_url profiles are not refreshed" },
        new object[] { "backup-role", null!, "Profile 'dev' signs in through IAM Identity Center" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task Without_a_usable_token_the_error_is_SsoLoginRequired_naming_both_ways_to_sign_in_and_nothing_waits(string profileName, string? token, string expected)
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        var ssoName = profileName == "backup-role" ? "dev" : profileName;
        var sso = Profile(folder, ssoName);
        var expired = DateTimeOffset.UtcNow.AddHours(-1);
        switch (token)
        {
            case "no-refresh":
                WriteToken(folder, sso, "expired-access", expired, refreshToken: null);
                break;
            case "registration-expired":
                WriteToken(folder, sso, "expired-access", expired, "refresh-1", DateTimeOffset.UtcNow.AddDays(-1));
                break;
            case "refresh-refused":
                WriteToken(folder, sso, "expired-access", expired, "refresh-unknown");
                break;
        }

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<S3BackupException>(() => Session(folder, profileName, fake).Credentials.GetCredentialsAsync());

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorId.SsoLoginRequired, error.ErrorId);
        Assert.Contains(expected, error.Message);
        Assert.Contains($"Connect-S3Backup -ProfileName {ssoName} -Login", error.Message);
        Assert.Contains($"aws sso login --profile {ssoName}", error.Message);
        Assert.DoesNotContain("refresh-", error.Message);
        Assert.DoesNotContain("expired-access", error.Message);
        Assert.DoesNotContain(FakeIdentityCenter.ClientSecret, error.Message);
        Assert.DoesNotContain(fake.Requests, request => request.Uri.AbsolutePath == "/federation/credentials");
    }

    [Fact]
    public async Task A_token_the_portal_refuses_is_SsoLoginRequired()
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        WriteToken(folder, Profile(folder, "legacy"), "revoked-access-token", DateTimeOffset.UtcNow.AddHours(2), refreshToken: null);

        var error = await Assert.ThrowsAsync<S3BackupException>(() => Session(folder, "legacy", fake).Credentials.GetCredentialsAsync());

        Assert.Equal(ErrorId.SsoLoginRequired, error.ErrorId);
        Assert.Contains("the IAM Identity Center portal refused its sign-in token (UnauthorizedException", error.Message);
        Assert.DoesNotContain("revoked-access-token", error.Message);
    }

    [Fact]
    public async Task A_role_profile_on_an_sso_profile_assumes_its_role_with_the_portal_credentials()
    {
        using var folder = Folder();
        var fake = new FakeIdentityCenter();
        WriteToken(folder, Profile(folder, "dev"), fake.IssueAccessToken(), DateTimeOffset.UtcNow.AddHours(4), "r");

        var session = Session(folder, "backup-role", fake);

        Assert.Equal(CredentialKind.AssumeRole, session.Plan.Kind);
        Assert.Equal(CredentialKind.Sso, session.Plan.Base.Kind);
        Assert.Equal("Sso BackupOperator in 111122223333 via https://corp.awsapps.com/start (profile dev) -> AssumeRole arn:aws:iam::444455556666:role/BackupRole (profile backup-role)",
            session.Plan.Describe());
        // The fake answers STS with 404; what matters is that the AssumeRole call was signed with the portal's keys.
        await Assert.ThrowsAnyAsync<Exception>(() => session.Credentials.GetCredentialsAsync());
        var assume = fake.Requests.Last();
        Assert.Contains("Action=AssumeRole", assume.Body);
        Assert.Contains($"Credential={FakeIdentityCenter.RoleAccessKey}/", assume.Header("Authorization"));
    }

    [Fact]
    public void Sso_endpoints_follow_the_services_section_and_the_sso_region()
    {
        using var folder = new ProfileFolder("[profile dev]\nservices = local\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n" +
            "[services local]\nsso =\n  endpoint_url = http://portal.local:1\nsso_oidc =\n  endpoint_url = http://oidc.local:2\n" +
            "[sso-session corp]\nsso_start_url = https://a/start\nsso_region = ap-southeast-2\n");
        var resolver = new ClientSettingsResolver(folder.Catalog(), folder.Environment);

        var portal = resolver.Resolve("dev", AwsService.Sso, "ap-southeast-2", null);
        var oidc = resolver.Resolve("dev", AwsService.SsoOidc, "ap-southeast-2", null);

        Assert.Equal(("http://portal.local:1", "ap-southeast-2"), (portal.EndpointUrl, portal.Region));
        Assert.Equal("http://oidc.local:2", oidc.EndpointUrl);
    }

    [Theory]
    [InlineData(1, "Valid")]
    [InlineData(-1, "Refreshable")]
    public void The_token_state_is_read_without_showing_the_token(int hoursLeft, string expected)
    {
        using var folder = Folder();
        var profile = Profile(folder, "dev");
        WriteToken(folder, profile, "listed-access-token", DateTimeOffset.UtcNow.AddHours(hoursLeft), "listed-refresh-token");

        var record = ProfileLister.Describe(folder.Catalog(), "dev", Cache(folder));

        Assert.Equal(("Sso", "corp", StartUrl, "111122223333", "BackupOperator", expected),
            (record.Kind, record.SsoSession, record.SsoStartUrl, record.SsoAccountId, record.SsoRoleName, record.TokenState));
        var everything = string.Join("|", typeof(S3Replication.Records.AwsProfileRecord).GetProperties().Select(p => p.GetValue(record)?.ToString())) + record;
        Assert.DoesNotContain("listed-", everything);
    }

    [Fact]
    public void Legacy_expired_tokens_and_missing_files_show_as_expired_and_none()
    {
        using var folder = Folder();
        WriteToken(folder, Profile(folder, "legacy"), "old", DateTimeOffset.UtcNow.AddHours(-2), "r");

        Assert.Equal("Expired", ProfileLister.Describe(folder.Catalog(), "legacy", Cache(folder)).TokenState);
        Assert.Equal("None", ProfileLister.Describe(folder.Catalog(), "dev", Cache(folder)).TokenState);
        Assert.Null(ProfileLister.Describe(folder.Catalog(), "backup-role", Cache(folder)).TokenState);
    }

    [Fact]
    public void A_token_never_shows_its_secrets_as_text()
    {
        using var folder = Folder();
        var token = SsoToken.New(Profile(folder, "dev"), "tok-SECRET", DateTimeOffset.UtcNow, "ref-SECRET", "id", "cs-SECRET", DateTimeOffset.UtcNow);
        Assert.DoesNotContain("SECRET", token.ToString());
    }
}
