using System;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SSO;
using Amazon.SSOOIDC;

namespace S3Replication.Session;

/// <summary>
/// The IAM Identity Center portal and SSO OIDC clients of one session: unsigned (both take a bearer token or
/// client secret in the request instead), in the sign-in's own region, at the endpoints the session's endpoint
/// settings give for <c>sso</c> and <c>sso_oidc</c> (which is how the tests point them at loopback).
/// </summary>
internal sealed class IdentityCenterClients
{
    private readonly ClientSettingsResolver _settings;
    private readonly string? _profileName;
    private readonly HttpClientFactory? _httpClientFactory;

    public IdentityCenterClients(ClientSettingsResolver settings, string? profileName, SsoTokenCache cache, HttpClientFactory? httpClientFactory)
    {
        _settings = settings;
        _profileName = profileName;
        Cache = cache;
        _httpClientFactory = httpClientFactory;
    }

    public SsoTokenCache Cache { get; }

    public IAmazonSSO Portal(SsoProfile profile) =>
        new AmazonSSOClient(new AnonymousAWSCredentials(), Configure(new AmazonSSOConfig(), AwsService.Sso, profile));

    public IAmazonSSOOIDC Oidc(SsoProfile profile) =>
        new AmazonSSOOIDCClient(new AnonymousAWSCredentials(), Configure(new AmazonSSOOIDCConfig(), AwsService.SsoOidc, profile));

    public SsoTokenSource Tokens(SsoProfile profile) =>
        new(profile, Cache, () => Oidc(profile), () => DateTimeOffset.UtcNow);

    public SsoRoleCredentials RoleCredentials(SsoProfile profile) => new(Tokens(profile), () => Portal(profile));

    /// <summary>The device sign-in (Connect-S3Backup -Login), polling on the real clock.</summary>
    public async Task<SsoToken> SignInAsync(SsoProfile profile, Func<DeviceSignInPrompt, Task> show, CancellationToken cancellationToken)
    {
        using var oidc = Oidc(profile);
        return await new DeviceSignIn(oidc, Cache, Task.Delay, () => DateTimeOffset.UtcNow)
            .SignInAsync(profile, show, cancellationToken).ConfigureAwait(false);
    }

    private T Configure<T>(T config, AwsService service, SsoProfile profile) where T : ClientConfig
    {
        _settings.Resolve(_profileName, service, profile.Region, endpointOverride: null).ApplyTo(config);
        if (_httpClientFactory is not null)
        {
            config.HttpClientFactory = _httpClientFactory;
        }
        return config;
    }
}
