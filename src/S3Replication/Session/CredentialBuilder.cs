using System;
using System.Linq;
using System.Management.Automation;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.CredentialManagement;
using Amazon.SecurityToken;
using S3Replication.Pipeline;

namespace S3Replication.Session;

/// <summary>Turns a <see cref="CredentialPlan"/> into SDK credentials: the base from the SDK, then each role hop.</summary>
internal sealed class CredentialBuilder
{
    private readonly ProfileCatalog _catalog;
    private readonly IEnvironmentReader _environment;
    private readonly Func<AWSCredentials, IAmazonSecurityTokenService> _createSts;
    private readonly Func<IMfaCodeSource?> _mfa;

    public CredentialBuilder(ProfileCatalog catalog, IEnvironmentReader environment,
        Func<AWSCredentials, IAmazonSecurityTokenService> createSts, Func<IMfaCodeSource?> mfa)
    {
        _catalog = catalog;
        _environment = environment;
        _createSts = createSts;
        _mfa = mfa;
    }

    public AWSCredentials Build(CredentialPlan plan) =>
        plan.Hops.Aggregate(BuildBase(plan.Base), (source, hop) => new AssumeRoleCredentials(source, hop, _createSts, _mfa));

    private AWSCredentials BuildBase(CredentialBase source)
    {
        switch (source.Kind)
        {
            case CredentialKind.Static:
            case CredentialKind.Session:
                var options = RequireSdkProfile(source.ProfileName!).Options;
                // Built from the parsed keys rather than the SDK factory: a profile that is its own source_profile
                // carries role_arn too, and the factory would assume the role instead of returning the keys.
                return source.Kind == CredentialKind.Static
                    ? new BasicAWSCredentials(options.AccessKey, options.SecretKey)
                    : new SessionAWSCredentials(options.AccessKey, options.SecretKey, options.Token);
            case CredentialKind.Process:
            case CredentialKind.Sso:
            case CredentialKind.WebIdentity:
                try
                {
                    return AWSCredentialsFactory.GetAWSCredentials(RequireSdkProfile(source.ProfileName!), _catalog.Store);
                }
                catch (Exception error) when (error is not S3BackupException)
                {
                    throw new S3BackupException(ErrorId.CredentialsFailed, ErrorCategory.AuthenticationError,
                        $"Could not create {source.Kind} credentials for profile '{source.ProfileName}': {error.Message}", source.ProfileName, error);
                }
            case CredentialKind.Environment:
                return EnvironmentCredentials();
            case CredentialKind.InstanceMetadata:
                return new InstanceProfileAWSCredentials();
            case CredentialKind.Container:
                return new GenericContainerCredentials();
            default:
                try
                {
                    return DefaultAWSCredentialsIdentityResolver.GetCredentials();
                }
                catch (Exception error)
                {
                    var known = _catalog.ProfileNames;
                    throw new S3BackupException(ErrorId.NoSession, ErrorCategory.AuthenticationError,
                        "No AWS credentials were found: pass -ProfileName, run Connect-S3Backup, or set AWS_PROFILE" +
                        (known.Count > 0 ? $" (profiles defined: {string.Join(", ", known)})." : "."), null, error);
                }
        }
    }

    private AWSCredentials EnvironmentCredentials()
    {
        var accessKey = _environment.Get("AWS_ACCESS_KEY_ID");
        var secretKey = _environment.Get("AWS_SECRET_ACCESS_KEY");
        if (accessKey is null || secretKey is null)
        {
            throw new S3BackupException(ErrorId.CredentialsFailed, ErrorCategory.AuthenticationError,
                "Environment credentials need both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set.", "AWS_ACCESS_KEY_ID");
        }
        var token = _environment.Get("AWS_SESSION_TOKEN");
        return token is null ? new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token);
    }

    private CredentialProfile RequireSdkProfile(string name) =>
        _catalog.SdkProfile(name) ?? throw new S3BackupException(ErrorId.ProfileInvalid, ErrorCategory.InvalidData,
            $"Profile '{name}' could not be read by the AWS SDK.", name);
}
