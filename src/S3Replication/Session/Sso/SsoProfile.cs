using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>
/// An IAM Identity Center profile as the aws CLI v2 writes it: either <c>sso_session = NAME</c> with an
/// <c>[sso-session NAME]</c> section (refreshable tokens), or the legacy <c>sso_start_url</c>/<c>sso_region</c> on
/// the profile itself; both with <c>sso_account_id</c> and <c>sso_role_name</c>.
/// </summary>
internal sealed record SsoProfile(
    string ProfileName,
    string? SessionName,
    string StartUrl,
    string Region,
    string AccountId,
    string RoleName,
    IReadOnlyList<string> RegistrationScopes)
{
    /// <summary>The scope the aws CLI asks for when an sso-session names none; it is what issues refresh tokens.</summary>
    public const string DefaultScope = "sso:account:access";

    /// <summary>The name the token cache file is keyed by (the aws CLI's rule): the session name, else the start URL.</summary>
    public string CacheKeySource => SessionName ?? StartUrl;

    /// <summary>Only sso-session tokens are refreshed (the aws CLI and botocore leave legacy tokens to expire).</summary>
    public bool IsRefreshable => SessionName is not null;

    public static bool IsSsoProfile(ProfileCatalog catalog, string profileName) =>
        new[] { "sso_session", "sso_start_url", "sso_account_id", "sso_role_name" }.Any(key => catalog.RawValue(profileName, key) is not null);

    /// <summary>Reads and checks a profile's SSO settings, saying exactly which one is missing or contradicts its session.</summary>
    public static SsoProfile Read(ProfileCatalog catalog, string profileName)
    {
        string? Own(string key) => catalog.RawValue(profileName, key);
        var sessionName = Own("sso_session");
        string startUrl, region;
        IReadOnlyList<string> scopes = Array.Empty<string>();
        if (sessionName is not null)
        {
            var header = "sso-session " + sessionName;
            if (!catalog.HasConfigSection(header))
            {
                throw Invalid(profileName, $"names sso_session = {sessionName}, but {catalog.Files.ConfigPath} has no [{header}] section; " +
                    "add it with sso_start_url and sso_region (aws configure sso-session writes one)");
            }
            string? Session(string key) => catalog.ConfigSectionValue(header, key);
            startUrl = Session("sso_start_url") ?? throw Invalid(profileName, $"uses [{header}], which has no sso_start_url");
            region = Session("sso_region") ?? throw Invalid(profileName, $"uses [{header}], which has no sso_region");
            RequireSameAsSession(profileName, header, "sso_start_url", Own("sso_start_url"), startUrl);
            RequireSameAsSession(profileName, header, "sso_region", Own("sso_region"), region);
            var scopeText = Session("sso_registration_scopes");
            scopes = scopeText is null
                ? new[] { DefaultScope }
                : scopeText.Split(',').Select(scope => scope.Trim()).Where(scope => scope.Length > 0).ToArray();
        }
        else
        {
            startUrl = Own("sso_start_url") ?? throw Invalid(profileName, "has SSO settings but neither sso_session nor sso_start_url");
            region = Own("sso_region") ?? throw Invalid(profileName, "has sso_start_url but no sso_region");
        }
        if (!AwsNames.IsRegion(region))
        {
            throw Invalid(profileName, $"has sso_region = {region}, which is not a region name (expected something like eu-west-1)");
        }
        var accountId = Own("sso_account_id") ?? throw Invalid(profileName, "has no sso_account_id (the 12-digit account to sign in to)");
        var roleName = Own("sso_role_name") ?? throw Invalid(profileName, "has no sso_role_name (the permission set's role to use)");
        return new SsoProfile(profileName, sessionName, startUrl, region, accountId, roleName, scopes);
    }

    private static void RequireSameAsSession(string profileName, string header, string key, string? own, string session)
    {
        if (own is not null && !string.Equals(own, session, StringComparison.Ordinal))
        {
            throw Invalid(profileName, $"sets {key} = {own}, but its [{header}] says {session}; remove it from the profile or make them match");
        }
    }

    private static S3BackupException Invalid(string name, string problem) =>
        new(ErrorId.ProfileInvalid, ErrorCategory.InvalidData, $"Profile '{name}' {problem}.", name);
}
