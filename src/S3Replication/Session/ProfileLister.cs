using System.Collections.Generic;
using System.Linq;
using S3Replication.Records;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>Describes every profile in the catalog from the SDK's parsed values; secrets are never copied out.</summary>
internal static class ProfileLister
{
    public static IEnumerable<AwsProfileRecord> List(ProfileCatalog catalog, SsoTokenCache tokens) =>
        catalog.ProfileNames.Select(name => Describe(catalog, name, tokens));

    public static AwsProfileRecord Describe(ProfileCatalog catalog, string name, SsoTokenCache tokens)
    {
        var profile = catalog.SdkProfile(name);
        var options = profile?.Options;
        var record = new AwsProfileRecord
        {
            Name = name,
            Kind = (options is null ? CredentialKind.None : KindOf(options)).ToString(),
            RoleArn = Empty(options?.RoleArn),
            SourceProfile = Empty(options?.SourceProfile),
            CredentialSource = Empty(options?.CredentialSource),
            MfaSerial = Empty(options?.MfaSerial),
            Region = profile?.Region?.SystemName,
            EndpointUrl = catalog.EndpointUrl(name),
            Files = catalog.FilesDefining(name).ToList(),
        };
        if (options is not null && string.IsNullOrEmpty(options.RoleArn) && SsoProfile.IsSsoProfile(catalog, name))
        {
            DescribeSignIn(record, catalog, name, tokens);
        }
        return record;
    }

    /// <summary>The SSO settings and the cached token's state; a profile whose SSO settings are incomplete shows what it has.</summary>
    private static void DescribeSignIn(AwsProfileRecord record, ProfileCatalog catalog, string name, SsoTokenCache tokens)
    {
        record.Kind = nameof(CredentialKind.Sso);
        record.SsoSession = catalog.RawValue(name, "sso_session");
        record.SsoAccountId = catalog.RawValue(name, "sso_account_id");
        record.SsoRoleName = catalog.RawValue(name, "sso_role_name");
        record.SsoStartUrl = catalog.RawValue(name, "sso_start_url");
        record.SsoRegion = catalog.RawValue(name, "sso_region");
        SsoProfile sso;
        try
        {
            sso = SsoProfile.Read(catalog, name);
        }
        catch (S3BackupException)
        {
            return;
        }
        record.SsoStartUrl = sso.StartUrl;
        record.SsoRegion = sso.Region;
        var token = tokens.Read(sso);
        record.TokenState = (token?.StateAt(System.DateTimeOffset.UtcNow, sso.IsRefreshable) ?? SsoTokenState.None).ToString();
        record.TokenExpiresAt = token?.ExpiresAt?.LocalDateTime;
    }

    /// <summary>A role profile as a config file's section states it (for a file the SDK is not reading).</summary>
    public static AwsProfileRecord DescribeRoleSection(string name, string configText, string path)
    {
        var document = IniDocument.Parse(configText);
        var section = document.FindSections(ProfileCatalog.ConfigHeaderFor(name))[0];
        string? Value(string key) => document.PropertiesOf(section).FirstOrDefault(line => line.Name == key)?.Value;
        return new AwsProfileRecord
        {
            Name = name,
            Kind = nameof(CredentialKind.AssumeRole),
            RoleArn = Value("role_arn"),
            SourceProfile = Value("source_profile"),
            MfaSerial = Value("mfa_serial"),
            Region = Value("region"),
            EndpointUrl = Value("endpoint_url"),
            Files = new List<string> { path },
        };
    }

    private static CredentialKind KindOf(Amazon.Runtime.CredentialManagement.CredentialProfileOptions options)
    {
        if (!string.IsNullOrEmpty(options.RoleArn))
        {
            return string.IsNullOrEmpty(options.SourceProfile) && string.IsNullOrEmpty(options.CredentialSource) && !string.IsNullOrEmpty(options.WebIdentityTokenFile)
                ? CredentialKind.WebIdentity
                : CredentialKind.AssumeRole;
        }
        if (!string.IsNullOrEmpty(options.AccessKey))
        {
            return string.IsNullOrEmpty(options.Token) ? CredentialKind.Static : CredentialKind.Session;
        }
        if (!string.IsNullOrEmpty(options.CredentialProcess))
        {
            return CredentialKind.Process;
        }
        return string.IsNullOrEmpty(options.WebIdentityTokenFile) ? CredentialKind.None : CredentialKind.WebIdentity;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
