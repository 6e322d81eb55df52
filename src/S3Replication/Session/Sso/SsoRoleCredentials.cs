using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SSO;
using Amazon.SSO.Model;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>
/// Role credentials from the IAM Identity Center portal (<c>GetRoleCredentials</c> with the cached access token),
/// at the session's SSO endpoint, renewed five minutes before they expire.
/// </summary>
internal sealed class SsoRoleCredentials : RefreshingAWSCredentials
{
    private readonly SsoTokenSource _tokens;
    private readonly Func<IAmazonSSO> _createPortal;

    public SsoRoleCredentials(SsoTokenSource tokens, Func<IAmazonSSO> createPortal)
    {
        _tokens = tokens;
        _createPortal = createPortal;
        PreemptExpiryTime = TimeSpan.FromMinutes(5);
    }

    public SsoProfile Profile => _tokens.Profile;

    public DateTime? ExpiresAtUtc { get; private set; }

    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        var profile = _tokens.Profile;
        var accessToken = await _tokens.GetAccessTokenAsync(CancellationToken.None).ConfigureAwait(false);
        GetRoleCredentialsResponse response;
        using (var portal = _createPortal())
        {
            try
            {
                response = await portal.GetRoleCredentialsAsync(new GetRoleCredentialsRequest
                {
                    AccessToken = accessToken,
                    AccountId = profile.AccountId,
                    RoleName = profile.RoleName,
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (UnauthorizedException error)
            {
                throw SsoTokenSource.LoginRequired(profile, $"the IAM Identity Center portal refused its sign-in token ({AwsErrors.CodeAndMessage(error)})");
            }
            catch (ResourceNotFoundException error)
            {
                throw new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
                    $"Profile '{profile.ProfileName}': IAM Identity Center gives this sign-in no role '{profile.RoleName}' in account " +
                    $"{profile.AccountId} ({AwsErrors.CodeAndMessage(error)}). Check sso_account_id and sso_role_name against the accounts your user is assigned.",
                    profile.ProfileName, error);
            }
        }
        var credentials = response.RoleCredentials;
        var expiration = DateTimeOffset.FromUnixTimeMilliseconds(credentials.Expiration ?? 0).UtcDateTime;
        ExpiresAtUtc = expiration;
        return new CredentialsRefreshState(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken), expiration);
    }
}
