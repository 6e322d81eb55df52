using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SSOOIDC;
using Amazon.SSOOIDC.Model;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>
/// A usable IAM Identity Center access token for one profile: the cached one, refreshed through SSO OIDC
/// <c>CreateToken</c> when it is within botocore's refresh window and refreshable, or a <c>SsoLoginRequired</c>
/// error that names both ways to sign in. Never waits for a person.
/// </summary>
internal sealed class SsoTokenSource
{
    /// <summary>botocore refreshes a token this long before it expires; doing the same keeps both tools' files in step.</summary>
    public static readonly TimeSpan RefreshWindow = TimeSpan.FromMinutes(15);
    private const string RefreshGrant = "refresh_token";

    private readonly SsoProfile _profile;
    private readonly SsoTokenCache _cache;
    private readonly Func<IAmazonSSOOIDC> _createOidc;
    private readonly Func<DateTimeOffset> _now;

    public SsoTokenSource(SsoProfile profile, SsoTokenCache cache, Func<IAmazonSSOOIDC> createOidc, Func<DateTimeOffset> now)
    {
        _profile = profile;
        _cache = cache;
        _createOidc = createOidc;
        _now = now;
    }

    public SsoProfile Profile => _profile;

    public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        var token = _cache.Read(_profile);
        var now = _now();
        if (token?.AccessToken is not { } accessToken || token.ExpiresAt is not { } expiresAt)
        {
            throw LoginRequired(_profile, $"there is no sign-in token for it in {_cache.PathFor(_profile)}");
        }
        if (expiresAt - now >= RefreshWindow)
        {
            return accessToken;
        }
        if (_profile.IsRefreshable && token.CanRefresh(now))
        {
            try
            {
                return await RefreshAsync(token, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonServiceException) when (expiresAt > now)
            {
                // Still valid for a while: use it, as botocore does when an early (advisory) refresh fails.
                return accessToken;
            }
            catch (AmazonServiceException error)
            {
                throw LoginRequired(_profile, $"its sign-in expired at {SsoToken.FormatTime(expiresAt)} and could not be refreshed ({AwsErrors.CodeAndMessage(error)})");
            }
        }
        if (expiresAt > now)
        {
            return accessToken;
        }
        var why = _profile.IsRefreshable
            ? token.RefreshToken is null ? "it holds no refresh token" : "its client registration has expired"
            : "legacy sso_start_url profiles are not refreshed (an sso_session profile is)";
        throw LoginRequired(_profile, $"its sign-in expired at {SsoToken.FormatTime(expiresAt)} and {why}");
    }

    private async Task<string> RefreshAsync(SsoToken token, CancellationToken cancellationToken)
    {
        using var oidc = _createOidc();
        var response = await oidc.CreateTokenAsync(new CreateTokenRequest
        {
            GrantType = RefreshGrant,
            ClientId = token.ClientId,
            ClientSecret = token.ClientSecret,
            RefreshToken = token.RefreshToken,
        }, cancellationToken).ConfigureAwait(false);
        var refreshed = token.Refreshed(_profile, response.AccessToken, _now().AddSeconds(response.ExpiresIn ?? 0), response.RefreshToken);
        _cache.Write(_profile, refreshed);
        return response.AccessToken;
    }

    public static S3BackupException LoginRequired(SsoProfile profile, string reason) =>
        new(ErrorId.SsoLoginRequired, ErrorCategory.AuthenticationError,
            $"Profile '{profile.ProfileName}' signs in through IAM Identity Center ({profile.StartUrl}), and {reason}. " +
            $"Sign in with: Connect-S3Backup -ProfileName {profile.ProfileName} -Login (or: aws sso login --profile {profile.ProfileName}), then run this again.",
            profile.ProfileName);
}
