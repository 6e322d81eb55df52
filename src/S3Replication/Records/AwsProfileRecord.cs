using System.Collections.Generic;

namespace S3Replication.Records;

/// <summary>One profile from the shared config/credentials files, as Get-AwsConfigProfile lists it. Never a secret.</summary>
public sealed class AwsProfileRecord
{
    public string Name { get; set; } = "";
    /// <summary>How the profile gets credentials: Static, Session, AssumeRole, WebIdentity, Sso, Process, Environment, InstanceMetadata, Container or None.</summary>
    public string Kind { get; set; } = "None";
    public string? RoleArn { get; set; }
    public string? SourceProfile { get; set; }
    public string? CredentialSource { get; set; }
    public string? MfaSerial { get; set; }
    public string? Region { get; set; }
    public string? EndpointUrl { get; set; }
    public List<string> Files { get; set; } = new();

    /// <summary>IAM Identity Center: the sso-session the profile signs in with (null for a legacy profile).</summary>
    public string? SsoSession { get; set; }
    public string? SsoStartUrl { get; set; }
    public string? SsoRegion { get; set; }
    public string? SsoAccountId { get; set; }
    public string? SsoRoleName { get; set; }

    /// <summary>The cached sign-in's state (null for profiles that do not sign in); the token itself is never read out.</summary>
    /// <summary>Valid, Refreshable, Expired or None.</summary>
    public string? TokenState { get; set; }

    /// <summary>When the cached access token expires (local time).</summary>
    public System.DateTime? TokenExpiresAt { get; set; }

    /// <summary>The sign-in as one phrase: "valid until 17:05", "refreshable", "expired", "none".</summary>
    public string? SignIn => TokenState switch
    {
        null => null,
        "Valid" => $"valid until {TokenExpiresAt:g}",
        "Refreshable" => "expired, refreshable",
        "Expired" => $"expired {TokenExpiresAt:g}",
        _ => "none",
    };

    public override string ToString() => Kind == "Sso"
        ? $"{Name} (Sso {SsoRoleName} in {SsoAccountId}, sign-in {SignIn})"
        : RoleArn is null ? $"{Name} ({Kind})" : $"{Name} ({Kind} {RoleArn} via {SourceProfile ?? CredentialSource})";
}
