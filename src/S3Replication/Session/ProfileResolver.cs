using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Amazon.Runtime.CredentialManagement;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>
/// Decides which profile applies and how its credentials are obtained, following the AWS CLI's rules: an explicit
/// profile, then <c>AWS_PROFILE</c>, then environment keys, then <c>default</c>, then the machine's own credentials
/// (web identity from the environment, container credentials, the EC2 instance role). <c>role_arn</c> profiles are
/// walked through <c>source_profile</c> or <c>credential_source</c>.
/// </summary>
internal sealed class ProfileResolver
{
    private static readonly string[] CredentialSources = { "Environment", "Ec2InstanceMetadata", "EcsContainer" };
    private readonly ProfileCatalog _catalog;
    private readonly IEnvironmentReader _environment;

    public ProfileResolver(ProfileCatalog catalog, IEnvironmentReader environment)
    {
        _catalog = catalog;
        _environment = environment;
    }

    /// <summary>The profile whose settings apply, or null when none exists (environment keys or machine credentials).</summary>
    public string? SelectProfile(string? requested)
    {
        if (requested is not null)
        {
            return requested;
        }
        var fromEnvironment = _environment.Get("AWS_PROFILE");
        if (fromEnvironment is not null)
        {
            return fromEnvironment;
        }
        return _catalog.Exists("default") ? "default" : null;
    }

    public CredentialPlan Plan(string? requested)
    {
        var explicitProfile = requested ?? _environment.Get("AWS_PROFILE");
        if (explicitProfile is null)
        {
            if (_environment.Get("AWS_ACCESS_KEY_ID") is not null)
            {
                return new CredentialPlan(new CredentialBase(CredentialKind.Environment, null), Array.Empty<AssumeRoleHop>());
            }
            if (!_catalog.Exists("default"))
            {
                return new CredentialPlan(MachineBase(), Array.Empty<AssumeRoleHop>());
            }
            explicitProfile = "default";
        }

        var hops = new List<AssumeRoleHop>();
        var visited = new List<string>();
        var credentialBase = Walk(explicitProfile, referencedBy: null, visited, hops);
        hops.Reverse();
        return new CredentialPlan(credentialBase, hops);
    }

    private CredentialBase Walk(string name, string? referencedBy, List<string> visited, List<AssumeRoleHop> hops)
    {
        visited.Add(name);
        var profile = RequireProfile(name, referencedBy);
        var options = profile.Options;
        if (string.IsNullOrEmpty(options.RoleArn))
        {
            return BaseOf(name, options);
        }

        var hasSource = !string.IsNullOrEmpty(options.SourceProfile);
        var hasCredentialSource = !string.IsNullOrEmpty(options.CredentialSource);
        if (!hasSource && !hasCredentialSource && !string.IsNullOrEmpty(options.WebIdentityTokenFile))
        {
            RequireRoleArn(name, options.RoleArn);
            return new CredentialBase(CredentialKind.WebIdentity, name, WebIdentity: new WebIdentitySource(
                options.WebIdentityTokenFile, options.RoleArn, NullIfEmpty(options.RoleSessionName), $"profile {name}"));
        }
        hops.Add(HopOf(name, options));
        if (hasSource && hasCredentialSource)
        {
            throw Invalid(name, "sets both source_profile and credential_source; keep one of them");
        }
        if (hasCredentialSource)
        {
            return CredentialSourceBase(name, options.CredentialSource);
        }
        if (!hasSource)
        {
            throw Invalid(name, "sets role_arn but neither source_profile nor credential_source; add source_profile = <your own profile>");
        }

        var source = options.SourceProfile;
        if (source == name)
        {
            // A profile may name itself as source when it also holds static keys (the AWS CLI allows this).
            return string.IsNullOrEmpty(options.AccessKey)
                ? throw Cycle(visited.Concat(new[] { source }))
                : StaticBase(name, options);
        }
        if (visited.Contains(source))
        {
            throw Cycle(visited.Concat(new[] { source }));
        }
        return Walk(source, name, visited, hops);
    }

    private CredentialProfile RequireProfile(string name, string? referencedBy)
    {
        if (!_catalog.Exists(name))
        {
            var known = _catalog.ProfileNames;
            var knownText = known.Count == 0 ? "no profiles are defined" : "known profiles: " + string.Join(", ", known);
            var where = $"{_catalog.Files.ConfigPath} or {_catalog.Files.CredentialsPath}";
            throw referencedBy is null
                ? new S3BackupException(ErrorId.ProfileNotFound, ErrorCategory.ObjectNotFound,
                    $"Profile '{name}' is not defined in {where} ({knownText}).", name)
                : new S3BackupException(ErrorId.SourceProfileMissing, ErrorCategory.ObjectNotFound,
                    $"Profile '{referencedBy}' names source_profile '{name}', which is not defined in {where} ({knownText}).", name);
        }
        return _catalog.SdkProfile(name)
            ?? throw Invalid(name, "has a setting the AWS SDK rejects (check retry_mode, max_attempts, true/false values and " +
                "sso_session references)");
    }

    private static void RequireRoleArn(string name, string roleArn)
    {
        if (!AwsNames.IsRoleArn(roleArn))
        {
            throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidData,
                $"Profile '{name}' has role_arn '{roleArn}', which is not a role ARN (expected arn:aws:iam::<12-digit account>:role/<name>).",
                roleArn);
        }
    }

    private AssumeRoleHop HopOf(string name, CredentialProfileOptions options)
    {
        RequireRoleArn(name, options.RoleArn);
        int? duration = null;
        var durationText = _catalog.RawValue(name, "duration_seconds");
        if (durationText is not null)
        {
            if (!int.TryParse(durationText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || !AwsNames.IsRoleDuration(seconds))
            {
                throw Invalid(name, $"has duration_seconds = {durationText}; use a whole number from {AwsNames.MinRoleDurationSeconds} to {AwsNames.MaxRoleDurationSeconds}");
            }
            duration = seconds;
        }
        return new AssumeRoleHop(name, options.RoleArn, NullIfEmpty(options.RoleSessionName), NullIfEmpty(options.ExternalID),
            NullIfEmpty(options.MfaSerial), duration);
    }

    /// <summary>A profile's own credentials, in botocore's order: IAM Identity Center, then keys, then a process.</summary>
    private CredentialBase BaseOf(string name, CredentialProfileOptions options)
    {
        if (SsoProfile.IsSsoProfile(_catalog, name))
        {
            return new CredentialBase(CredentialKind.Sso, name, Sso: SsoProfile.Read(_catalog, name));
        }
        if (!string.IsNullOrEmpty(options.AccessKey))
        {
            return StaticBase(name, options);
        }
        if (!string.IsNullOrEmpty(options.CredentialProcess))
        {
            return new CredentialBase(CredentialKind.Process, name);
        }
        if (!string.IsNullOrEmpty(options.WebIdentityTokenFile))
        {
            throw Invalid(name, "sets web_identity_token_file but no role_arn; add the role_arn the token may assume");
        }
        throw new S3BackupException(ErrorId.ProfileHasNoCredentials, ErrorCategory.InvalidData,
            $"Profile '{name}' ({string.Join(", ", _catalog.FilesDefining(name))}) holds no credentials: give it " +
            "aws_access_key_id/aws_secret_access_key, role_arn with source_profile, credential_process, SSO settings " +
            "(sso_session or sso_start_url) or web_identity_token_file with role_arn.", name);
    }

    /// <summary>
    /// Credentials of the machine a scheduled runbook runs on, in the AWS CLI's order: a web identity from the
    /// environment (EKS, CI), the container endpoint (ECS, EKS Pod Identity), then the EC2 instance role.
    /// </summary>
    private CredentialBase MachineBase()
    {
        var tokenFile = _environment.Get("AWS_WEB_IDENTITY_TOKEN_FILE");
        var roleArn = _environment.Get("AWS_ROLE_ARN");
        if (tokenFile is not null && roleArn is not null)
        {
            if (!AwsNames.IsRoleArn(roleArn))
            {
                throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidData,
                    $"AWS_ROLE_ARN is '{roleArn}', which is not a role ARN (expected arn:aws:iam::<12-digit account>:role/<name>).", roleArn);
            }
            return new CredentialBase(CredentialKind.WebIdentity, null, WebIdentity: new WebIdentitySource(
                tokenFile, roleArn, _environment.Get("AWS_ROLE_SESSION_NAME"), "AWS_WEB_IDENTITY_TOKEN_FILE"));
        }
        if (_environment.Get("AWS_CONTAINER_CREDENTIALS_FULL_URI") is not null || _environment.Get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is not null)
        {
            return new CredentialBase(CredentialKind.Container, null);
        }
        if (string.Equals(_environment.Get("AWS_EC2_METADATA_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            var known = _catalog.ProfileNames;
            throw new S3BackupException(ErrorId.NoSession, ErrorCategory.AuthenticationError,
                "No AWS credentials were found (AWS_EC2_METADATA_DISABLED rules out an instance role): pass -ProfileName, run " +
                "Connect-S3Backup, or set AWS_PROFILE" + (known.Count > 0 ? $" (profiles defined: {string.Join(", ", known)})." : "."), null);
        }
        return new CredentialBase(CredentialKind.InstanceMetadata, null);
    }

    private CredentialBase StaticBase(string name, CredentialProfileOptions options)
    {
        if (string.IsNullOrEmpty(options.SecretKey))
        {
            throw Invalid(name, "has aws_access_key_id but no aws_secret_access_key");
        }
        return new CredentialBase(string.IsNullOrEmpty(options.Token) ? CredentialKind.Static : CredentialKind.Session, name);
    }

    private static CredentialBase CredentialSourceBase(string name, string source) => source switch
    {
        "Environment" => new CredentialBase(CredentialKind.Environment, null),
        "Ec2InstanceMetadata" => new CredentialBase(CredentialKind.InstanceMetadata, null),
        "EcsContainer" => new CredentialBase(CredentialKind.Container, null),
        _ => throw Invalid(name, $"has credential_source = {source}; use one of {string.Join(", ", CredentialSources)}"),
    };

    private static S3BackupException Cycle(IEnumerable<string> path)
    {
        var names = path.ToList();
        return new S3BackupException(ErrorId.ProfileCycle, ErrorCategory.InvalidData,
            $"The source_profile settings form a cycle: {string.Join(" -> ", names)}. Point one of them at a profile with its own credentials.",
            names[0]);
    }

    private static S3BackupException Invalid(string name, string problem) =>
        new(ErrorId.ProfileInvalid, ErrorCategory.InvalidData, $"Profile '{name}' {problem}.", name);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
