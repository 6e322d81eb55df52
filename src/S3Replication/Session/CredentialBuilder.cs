using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.SecurityToken;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>Turns a <see cref="CredentialPlan"/> into SDK credentials: the base source, then each role hop.</summary>
internal sealed class CredentialBuilder
{
    private readonly ProfileCatalog _catalog;
    private readonly IEnvironmentReader _environment;
    private readonly Func<AWSCredentials, IAmazonSecurityTokenService> _createSts;
    private readonly Func<IMfaCodeSource?> _mfa;
    private readonly IdentityCenterClients _identityCenter;

    public CredentialBuilder(ProfileCatalog catalog, IEnvironmentReader environment,
        Func<AWSCredentials, IAmazonSecurityTokenService> createSts, Func<IMfaCodeSource?> mfa, IdentityCenterClients identityCenter)
    {
        _catalog = catalog;
        _environment = environment;
        _createSts = createSts;
        _mfa = mfa;
        _identityCenter = identityCenter;
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
                try
                {
                    return AWSCredentialsFactory.GetAWSCredentials(RequireSdkProfile(source.ProfileName!), _catalog.Store);
                }
                catch (Exception error) when (error is not S3BackupException)
                {
                    throw new S3BackupException(ErrorId.CredentialsFailed, ErrorCategory.AuthenticationError,
                        $"Could not create {source.Kind} credentials for profile '{source.ProfileName}': {error.Message}", source.ProfileName, error);
                }
            case CredentialKind.Sso:
                return _identityCenter.RoleCredentials(source.Sso!);
            case CredentialKind.WebIdentity:
                return new WebIdentityCredentials(source.WebIdentity!, _createSts);
            case CredentialKind.Environment:
                return EnvironmentCredentials();
            case CredentialKind.InstanceMetadata:
                return new MachineCredentials(() => new InstanceProfileAWSCredentials(), "the EC2 instance metadata service", _catalog.ProfileNames);
            case CredentialKind.Container:
                return new MachineCredentials(() => new GenericContainerCredentials(), "the container credentials endpoint", _catalog.ProfileNames);
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source.Kind, "Not a credential base.");
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

    /// <summary>
    /// The SDK's instance-role and container providers, with their failure said the way a person without any
    /// credentials needs to hear it (off EC2 and outside a container they are the last resort, not the problem). The
    /// provider is created at first use: the SDK's instance-role provider already asks for an IMDSv2 token when it
    /// is constructed.
    /// </summary>
    private sealed class MachineCredentials : AWSCredentials
    {
        private readonly Func<RefreshingAWSCredentials> _create;
        private readonly string _where;
        private readonly IReadOnlyList<string> _profiles;
        private readonly object _gate = new();
        private RefreshingAWSCredentials? _inner;

        public MachineCredentials(Func<RefreshingAWSCredentials> create, string where, IReadOnlyList<string> profiles)
        {
            _create = create;
            _where = where;
            _profiles = profiles;
        }

        public override DateTime? Expiration => _inner?.Expiration;

        public override ImmutableCredentials GetCredentials()
        {
            try
            {
                return Inner().GetCredentials();
            }
            catch (Exception error) when (error is not S3BackupException)
            {
                throw NotFound(error);
            }
        }

        public override async Task<ImmutableCredentials> GetCredentialsAsync()
        {
            try
            {
                return await Inner().GetCredentialsAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is not S3BackupException)
            {
                throw NotFound(error);
            }
        }

        private RefreshingAWSCredentials Inner()
        {
            lock (_gate)
            {
                return _inner ??= _create();
            }
        }

        private S3BackupException NotFound(Exception error) =>
            new(ErrorId.NoSession, ErrorCategory.AuthenticationError,
                $"No AWS credentials came from {_where} ({error.Message}). Off EC2 and outside a container, pass -ProfileName, " +
                "run Connect-S3Backup, or set AWS_PROFILE" + (_profiles.Count > 0 ? $" (profiles defined: {string.Join(", ", _profiles)})." : "."), null, error);
    }
}
