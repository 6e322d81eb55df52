using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SSOOIDC;
using Amazon.SSOOIDC.Model;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>What the person signing in has to do: open the URL (or enter the code at it) in a browser.</summary>
internal sealed record DeviceSignInPrompt(string VerificationUri, string? VerificationUriComplete, string UserCode, DateTimeOffset ExpiresAt);

/// <summary>
/// The OAuth device-authorization sign-in the aws CLI's <c>aws sso login</c> performs: RegisterClient (skipped while
/// a cached registration is valid), StartDeviceAuthorization, then CreateToken polling that waits on
/// <c>authorization_pending</c>, slows down by five seconds on <c>slow_down</c>, and ends on approval, denial or
/// expiry. The token goes into the shared cache, so the aws CLI and this module see the same sign-in.
/// </summary>
internal sealed class DeviceSignIn
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private readonly IAmazonSSOOIDC _oidc;
    private readonly SsoTokenCache _cache;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Func<DateTimeOffset> _now;

    public DeviceSignIn(IAmazonSSOOIDC oidc, SsoTokenCache cache, Func<TimeSpan, CancellationToken, Task> delay, Func<DateTimeOffset> now)
    {
        _oidc = oidc;
        _cache = cache;
        _delay = delay;
        _now = now;
    }

    public async Task<SsoToken> SignInAsync(SsoProfile profile, Func<DeviceSignInPrompt, Task> show, CancellationToken cancellationToken)
    {
        var registration = await RegistrationAsync(profile, cancellationToken).ConfigureAwait(false);
        var authorization = await Call(profile, () => _oidc.StartDeviceAuthorizationAsync(new StartDeviceAuthorizationRequest
        {
            ClientId = registration.ClientId,
            ClientSecret = registration.ClientSecret,
            StartUrl = profile.StartUrl,
        }, cancellationToken)).ConfigureAwait(false);

        var deadline = _now().AddSeconds(authorization.ExpiresIn ?? 600);
        await show(new DeviceSignInPrompt(authorization.VerificationUri, authorization.VerificationUriComplete, authorization.UserCode, deadline))
            .ConfigureAwait(false);

        var interval = authorization.Interval is > 0 ? TimeSpan.FromSeconds(authorization.Interval.Value) : DefaultInterval;
        while (true)
        {
            await _delay(interval, cancellationToken).ConfigureAwait(false);
            if (_now() >= deadline)
            {
                throw Failed(profile, $"the code {authorization.UserCode} was not approved before it expired at {SsoToken.FormatTime(deadline)}; run the sign-in again");
            }
            CreateTokenResponse response;
            try
            {
                response = await _oidc.CreateTokenAsync(new CreateTokenRequest
                {
                    GrantType = DeviceCodeGrant,
                    DeviceCode = authorization.DeviceCode,
                    ClientId = registration.ClientId,
                    ClientSecret = registration.ClientSecret,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (AuthorizationPendingException)
            {
                continue;
            }
            catch (SlowDownException)
            {
                interval += SlowDownStep;
                continue;
            }
            catch (ExpiredTokenException)
            {
                throw Failed(profile, $"the code {authorization.UserCode} expired before it was approved; run the sign-in again");
            }
            catch (AccessDeniedException)
            {
                throw Failed(profile, $"the sign-in with code {authorization.UserCode} was denied in the browser");
            }
            catch (AmazonServiceException error)
            {
                throw Failed(profile, $"SSO OIDC refused the token request ({AwsErrors.CodeAndMessage(error)})", error);
            }

            var token = SsoToken.New(profile, response.AccessToken, _now().AddSeconds(response.ExpiresIn ?? 0),
                response.RefreshToken, registration.ClientId, registration.ClientSecret, registration.ExpiresAt);
            _cache.Write(profile, token);
            return token;
        }
    }

    private sealed record Registration(string ClientId, string ClientSecret, DateTimeOffset ExpiresAt);

    private async Task<Registration> RegistrationAsync(SsoProfile profile, CancellationToken cancellationToken)
    {
        var cached = _cache.Read(profile);
        if (cached is not null && cached.HasRegistration(_now()))
        {
            return new Registration(cached.ClientId!, cached.ClientSecret!, cached.RegistrationExpiresAt!.Value);
        }
        var response = await Call(profile, () => _oidc.RegisterClientAsync(new RegisterClientRequest
        {
            ClientName = "S3Replication-" + (profile.SessionName ?? _now().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            ClientType = "public",
            Scopes = profile.RegistrationScopes.Count > 0 ? new List<string>(profile.RegistrationScopes) : null,
        }, cancellationToken)).ConfigureAwait(false);
        return new Registration(response.ClientId, response.ClientSecret, DateTimeOffset.FromUnixTimeSeconds(response.ClientSecretExpiresAt ?? 0));
    }

    private static async Task<T> Call<T>(SsoProfile profile, Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (AmazonServiceException error)
        {
            throw Failed(profile, $"SSO OIDC refused the request ({AwsErrors.CodeAndMessage(error)})", error);
        }
    }

    private static S3BackupException Failed(SsoProfile profile, string reason, Exception? inner = null) =>
        new(ErrorId.SsoSignInFailed, ErrorCategory.AuthenticationError,
            $"Signing in to IAM Identity Center for profile '{profile.ProfileName}' ({profile.StartUrl}) failed: {reason}.", profile.ProfileName, inner);
}
