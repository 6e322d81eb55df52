using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session.Sso;

public class DeviceSignInTests : IDisposable
{
    private const string Config = """
        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = BackupOperator

        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access, codewhisperer:completions

        [profile legacy]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
        sso_account_id = 111122223333
        sso_role_name = ReadOnly
        """;

    private readonly ProfileFolder _folder = new(Config, variables: new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_SSO_OIDC"] = "http://oidc.test",
        ["AWS_ENDPOINT_URL_SSO"] = "http://portal.test",
    });
    private readonly FakeIdentityCenter _fake = new();
    private readonly List<TimeSpan> _waits = new();
    private readonly List<DeviceSignInPrompt> _shown = new();
    private DateTimeOffset _clock = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    public void Dispose() => _folder.Dispose();

    private IdentityCenterClients Clients() =>
        new(new ClientSettingsResolver(_folder.Catalog(), _folder.Environment), "dev", SsoTokenCache.For(_folder.Environment), new RecordingHttpClientFactory(_fake));

    private SsoProfile Profile(string name) => SsoProfile.Read(_folder.Catalog(), name);

    /// <summary>Runs the sign-in on a virtual clock: every wait returns at once and moves the clock on.</summary>
    private async Task<SsoToken> SignInAsync(string profile = "dev")
    {
        var clients = Clients();
        var sso = Profile(profile);
        using var oidc = clients.Oidc(sso);
        var signIn = new DeviceSignIn(oidc, clients.Cache, (wait, _) =>
        {
            _waits.Add(wait);
            _clock += wait;
            return Task.CompletedTask;
        }, () => _clock);
        return await signIn.SignInAsync(sso, prompt =>
        {
            _shown.Add(prompt);
            return Task.CompletedTask;
        }, CancellationToken.None);
    }

    private JsonObject Body(int index) => (JsonObject)JsonNode.Parse(_fake.Requests[index].Body)!;

    [Fact]
    public async Task Registers_starts_the_device_authorization_shows_the_code_and_polls_through_pending_and_slow_down()
    {
        _fake.DeviceInterval = 2;
        _fake.PollAnswers.Enqueue("pending");
        _fake.PollAnswers.Enqueue("slow_down");
        _fake.PollAnswers.Enqueue("pending");

        var token = await SignInAsync();

        Assert.Equal(new[] { "/client/register", "/device_authorization", "/token", "/token", "/token", "/token" },
            _fake.Requests.Select(request => request.Uri.AbsolutePath));
        Assert.All(_fake.Requests, request => Assert.Equal("http://oidc.test", request.Uri.GetLeftPart(UriPartial.Authority)));
        Assert.All(_fake.Requests, request => Assert.Equal("", request.Header("Authorization")));
        var register = Body(0);
        Assert.Equal(("S3Replication-corp", "public"), ((string?)register["clientName"], (string?)register["clientType"]));
        Assert.Equal(new[] { "sso:account:access", "codewhisperer:completions" }, register["scopes"]!.AsArray().Select(scope => (string?)scope));
        var start = Body(1);
        Assert.Equal((FakeIdentityCenter.ClientId, FakeIdentityCenter.ClientSecret, "https://corp.awsapps.com/start"),
            ((string?)start["clientId"], (string?)start["clientSecret"], (string?)start["startUrl"]));
        var poll = Body(2);
        Assert.Equal(("urn:ietf:params:oauth:grant-type:device_code", FakeIdentityCenter.DeviceCode, FakeIdentityCenter.ClientId),
            ((string?)poll["grantType"], (string?)poll["deviceCode"], (string?)poll["clientId"]));

        // The interval the service gave, then five seconds more after slow_down, as RFC 8628 asks.
        Assert.Equal(new[] { 2, 2, 7, 7 }, _waits.Select(wait => (int)wait.TotalSeconds));
        var shown = Assert.Single(_shown);
        Assert.Equal((FakeIdentityCenter.UserCode, "https://device.sso.example.test/?user_code=ABCD-EFGH"), (shown.UserCode, shown.VerificationUriComplete));

        var written = (JsonObject)JsonNode.Parse(File.ReadAllText(Clients().Cache.PathFor(Profile("dev"))))!;
        Assert.Equal(token.AccessToken, (string?)written["accessToken"]);
        Assert.StartsWith("refresh-token-", (string?)written["refreshToken"]);
        Assert.Equal((FakeIdentityCenter.ClientId, FakeIdentityCenter.ClientSecret), ((string?)written["clientId"], (string?)written["clientSecret"]));
        Assert.Equal(("https://corp.awsapps.com/start", "eu-west-1"), ((string?)written["startUrl"], (string?)written["region"]));
        Assert.Equal(SsoToken.FormatTime(_clock.AddHours(8)), (string?)written["expiresAt"]);
        Assert.Contains(token.AccessToken!, _fake.ValidAccessTokens);
    }

    [Fact]
    public async Task A_second_sign_in_reuses_the_cached_client_registration()
    {
        await SignInAsync();
        _fake.Requests.Clear();

        await SignInAsync();

        Assert.Equal(new[] { "/device_authorization", "/token" }, _fake.Requests.Select(request => request.Uri.AbsolutePath));
    }

    [Fact]
    public async Task A_legacy_profile_registers_without_scopes()
    {
        await SignInAsync("legacy");

        Assert.Null(Body(0)["scopes"]);
        Assert.StartsWith("S3Replication-", (string?)Body(0)["clientName"]);
    }

    [Theory]
    [InlineData("denied", "was denied in the browser")]
    [InlineData("expired", "expired before it was approved")]
    public async Task A_denied_or_expired_code_ends_the_sign_in_with_SsoSignInFailed_and_writes_nothing(string answer, string expected)
    {
        _fake.PollAnswers.Enqueue("pending");
        _fake.PollAnswers.Enqueue(answer);

        var error = await Assert.ThrowsAsync<S3BackupException>(() => SignInAsync());

        Assert.Equal(ErrorId.SsoSignInFailed, error.ErrorId);
        Assert.Contains(expected, error.Message);
        Assert.Contains("profile 'dev' (https://corp.awsapps.com/start)", error.Message);
        Assert.DoesNotContain(FakeIdentityCenter.DeviceCode, error.Message);
        Assert.DoesNotContain(FakeIdentityCenter.ClientSecret, error.Message);
        Assert.False(File.Exists(Clients().Cache.PathFor(Profile("dev"))));
    }

    [Fact]
    public async Task Polling_stops_when_the_code_expires_even_if_the_service_keeps_saying_pending()
    {
        for (var poll = 0; poll < 1000; poll++)
        {
            _fake.PollAnswers.Enqueue("pending");
        }

        var error = await Assert.ThrowsAsync<S3BackupException>(() => SignInAsync());

        Assert.Equal(ErrorId.SsoSignInFailed, error.ErrorId);
        Assert.Contains("was not approved before it expired", error.Message);
        Assert.Equal(600, (int)_waits.Sum(wait => wait.TotalSeconds));
    }

    [Fact]
    public async Task Ctrl_C_stops_the_polling()
    {
        _fake.PollAnswers.Enqueue("pending");
        var clients = Clients();
        var sso = Profile("dev");
        using var oidc = clients.Oidc(sso);
        using var stop = new CancellationTokenSource();
        var signIn = new DeviceSignIn(oidc, clients.Cache, Task.Delay, () => DateTimeOffset.UtcNow);

        var running = signIn.SignInAsync(sso, _ =>
        {
            stop.CancelAfter(TimeSpan.FromMilliseconds(100));
            return Task.CompletedTask;
        }, stop.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }
}
