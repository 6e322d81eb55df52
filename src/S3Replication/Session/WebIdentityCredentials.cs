using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>Where a web-identity role comes from: a profile's settings or AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN.</summary>
internal sealed record WebIdentitySource(string TokenFile, string RoleArn, string? RoleSessionName, string Origin);

/// <summary>
/// Role credentials for a workload identity (EKS service accounts, CI OIDC tokens): the token file is read again at
/// every renewal (the platform rotates it) and exchanged with STS AssumeRoleWithWebIdentity at the session's own STS
/// endpoint, unsigned, as the SDK's provider does at the default endpoint.
/// </summary>
internal sealed class WebIdentityCredentials : RefreshingAWSCredentials
{
    private readonly WebIdentitySource _source;
    private readonly Func<AWSCredentials, IAmazonSecurityTokenService> _createSts;

    public WebIdentityCredentials(WebIdentitySource source, Func<AWSCredentials, IAmazonSecurityTokenService> createSts)
    {
        _source = source;
        _createSts = createSts;
        PreemptExpiryTime = TimeSpan.FromMinutes(5);
    }

    public string? AssumedRoleArn { get; private set; }

    public DateTime? ExpiresAtUtc { get; private set; }

    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        string token;
        try
        {
            token = File.ReadAllText(_source.TokenFile).Trim();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new S3BackupException(ErrorId.CredentialsFailed, ErrorCategory.AuthenticationError,
                $"The web identity token file {_source.TokenFile} ({_source.Origin}) could not be read: {error.Message}", _source.TokenFile, error);
        }

        AssumeRoleWithWebIdentityResponse response;
        using (var sts = _createSts(new AnonymousAWSCredentials()))
        {
            try
            {
                response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
                {
                    RoleArn = _source.RoleArn,
                    RoleSessionName = _source.RoleSessionName
                        ?? "S3Replication-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    WebIdentityToken = token,
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AmazonServiceException error)
            {
                var denied = error.ErrorCode is "AccessDenied" or "InvalidIdentityToken" or "ExpiredTokenException" || error.StatusCode == System.Net.HttpStatusCode.Forbidden;
                throw new S3BackupException(denied ? ErrorId.AccessDenied : ErrorId.CredentialsFailed,
                    denied ? ErrorCategory.PermissionDenied : ErrorCategory.AuthenticationError,
                    $"Could not assume role {_source.RoleArn} with the web identity token in {_source.TokenFile} ({_source.Origin}): " +
                    $"{AwsErrors.CodeAndMessage(error)}. The role's trust policy must allow sts:AssumeRoleWithWebIdentity for the token's issuer and subject.",
                    _source.RoleArn, error);
            }
        }
        AssumedRoleArn = response.AssumedRoleUser?.Arn;
        var credentials = response.Credentials;
        var expiration = (credentials.Expiration ?? DateTime.UtcNow.AddHours(1)).ToUniversalTime();
        ExpiresAtUtc = expiration;
        return new CredentialsRefreshState(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken), expiration);
    }
}
