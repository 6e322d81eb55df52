using System.Collections.Generic;
using System.Linq;

namespace S3Replication.Session;

/// <summary>What kind of credentials a profile holds, as <c>Get-AwsConfigProfile</c> and sessions report it.</summary>
internal enum CredentialKind
{
    None,
    Static,
    Session,
    AssumeRole,
    Process,
    Sso,
    WebIdentity,
    Environment,
    InstanceMetadata,
    Container,
}

/// <summary>
/// Where the first credentials in a chain come from, with what an SSO or web-identity source needs to obtain them.
/// Holds names only, never a secret.
/// </summary>
internal sealed record CredentialBase(CredentialKind Kind, string? ProfileName, SsoProfile? Sso = null, WebIdentitySource? WebIdentity = null)
{
    public string Describe() => Kind switch
    {
        CredentialKind.Sso => $"Sso {Sso!.RoleName} in {Sso.AccountId} via {Sso.StartUrl} (profile {ProfileName})",
        CredentialKind.WebIdentity => $"WebIdentity {WebIdentity!.RoleArn} ({WebIdentity.Origin})",
        _ => ProfileName is null ? Kind.ToString() : $"{Kind} (profile {ProfileName})",
    };
}

/// <summary>One <c>sts:AssumeRole</c> step, from the profile that declares <c>role_arn</c>.</summary>
internal sealed record AssumeRoleHop(
    string ProfileName,
    string RoleArn,
    string? RoleSessionName,
    string? ExternalId,
    string? MfaSerial,
    int? DurationSeconds);

/// <summary>
/// How a profile's credentials are obtained: a base source, then zero or more roles assumed in order (the last hop
/// is the profile that was asked for). Pure data, so resolution rules can be tested without any network call.
/// </summary>
internal sealed record CredentialPlan(CredentialBase Base, IReadOnlyList<AssumeRoleHop> Hops)
{
    public CredentialKind Kind => Hops.Count > 0 ? CredentialKind.AssumeRole : Base.Kind;

    public string? RoleArn => Hops.Count > 0 ? Hops[Hops.Count - 1].RoleArn : Base.WebIdentity?.RoleArn;

    public string Describe() =>
        string.Join(" -> ", new[] { Base.Describe() }.Concat(Hops.Select(hop => $"AssumeRole {hop.RoleArn} (profile {hop.ProfileName})")));
}
