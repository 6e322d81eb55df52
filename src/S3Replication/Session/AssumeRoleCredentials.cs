using System;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>Asks the person at the keyboard for an MFA code; the running cmdlet plugs in its host prompt.</summary>
internal interface IMfaCodeSource
{
    Task<string?> ReadCodeAsync(string profileName, string mfaSerial);
}

/// <summary>
/// Role credentials for one <see cref="AssumeRoleHop"/>, obtained from STS at the session's own endpoint (the SDK's
/// built-in AssumeRoleAWSCredentials always calls the default STS endpoint), cached, and renewed five minutes
/// before they expire.
/// </summary>
internal sealed class AssumeRoleCredentials : RefreshingAWSCredentials
{
    private static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromMinutes(5);
    private readonly AWSCredentials _source;
    private readonly AssumeRoleHop _hop;
    private readonly Func<AWSCredentials, IAmazonSecurityTokenService> _createSts;
    private readonly Func<IMfaCodeSource?> _mfa;

    public AssumeRoleCredentials(AWSCredentials source, AssumeRoleHop hop, Func<AWSCredentials, IAmazonSecurityTokenService> createSts, Func<IMfaCodeSource?> mfa)
    {
        _source = source;
        _hop = hop;
        _createSts = createSts;
        _mfa = mfa;
        PreemptExpiryTime = RenewBeforeExpiry;
    }

    public AssumeRoleHop Hop => _hop;

    /// <summary>The ARN STS reported for the assumed-role session, once credentials were obtained.</summary>
    public string? AssumedRoleArn { get; private set; }

    /// <summary>When STS said the current credentials expire (the SDK's Expiration subtracts its own buffer).</summary>
    public DateTime? ExpiresAtUtc { get; private set; }

    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        var request = new AssumeRoleRequest
        {
            RoleArn = _hop.RoleArn,
            RoleSessionName = _hop.RoleSessionName ?? DefaultSessionName(),
            ExternalId = _hop.ExternalId,
            DurationSeconds = _hop.DurationSeconds,
        };
        if (_hop.MfaSerial is not null)
        {
            request.SerialNumber = _hop.MfaSerial;
            request.TokenCode = await ReadMfaCodeAsync().ConfigureAwait(false);
        }

        AssumeRoleResponse response;
        using (var sts = _createSts(_source))
        {
            try
            {
                response = await sts.AssumeRoleAsync(request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AmazonServiceException error)
            {
                throw Failure(error);
            }
        }

        AssumedRoleArn = response.AssumedRoleUser?.Arn;
        var credentials = response.Credentials;
        var expiration = (credentials.Expiration ?? DateTime.UtcNow.AddSeconds(_hop.DurationSeconds ?? 3600)).ToUniversalTime();
        ExpiresAtUtc = expiration;
        return new CredentialsRefreshState(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken), expiration);
    }

    private async Task<string> ReadMfaCodeAsync()
    {
        var source = _mfa();
        string? code = null;
        if (source is not null)
        {
            code = await source.ReadCodeAsync(_hop.ProfileName, _hop.MfaSerial!).ConfigureAwait(false);
        }
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new S3BackupException(ErrorId.MfaCodeRequired, ErrorCategory.AuthenticationError,
                $"Profile '{_hop.ProfileName}' requires an MFA code (mfa_serial {_hop.MfaSerial}) and this session cannot prompt for one. " +
                "Run Connect-S3Backup -ProfileName " + _hop.ProfileName + " in an interactive PowerShell first, or give the runbook a profile without mfa_serial.",
                _hop.ProfileName);
        }
        return code!.Trim();
    }

    private S3BackupException Failure(AmazonServiceException error)
    {
        var denied = error.ErrorCode is "AccessDenied" or "AccessDeniedException" || error.StatusCode == System.Net.HttpStatusCode.Forbidden;
        var advice = denied
            ? " The role's trust policy must name the calling identity: Add-BackupRoleTrustPrincipal -RoleName <role> -PrincipalArn <your ARN>."
            : "";
        return new S3BackupException(
            denied ? ErrorId.AccessDenied : ErrorId.CredentialsFailed,
            denied ? ErrorCategory.PermissionDenied : ErrorCategory.AuthenticationError,
            $"Could not assume role {_hop.RoleArn} for profile '{_hop.ProfileName}': {AwsErrors.CodeAndMessage(error)}.{advice}",
            _hop.RoleArn, error);
    }

    private static string DefaultSessionName() =>
        "S3Replication-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
