using System.Collections.Generic;
using System.Linq;
using S3Replication.Records;

namespace S3Replication.Session;

/// <summary>Describes every profile in the catalog from the SDK's parsed values; secrets are never copied out.</summary>
internal static class ProfileLister
{
    public static IEnumerable<AwsProfileRecord> List(ProfileCatalog catalog) =>
        catalog.ProfileNames.Select(name => Describe(catalog, name));

    public static AwsProfileRecord Describe(ProfileCatalog catalog, string name)
    {
        var profile = catalog.SdkProfile(name);
        var options = profile?.Options;
        return new AwsProfileRecord
        {
            Name = name,
            Kind = options is null ? CredentialKind.None : KindOf(options),
            RoleArn = Empty(options?.RoleArn),
            SourceProfile = Empty(options?.SourceProfile),
            CredentialSource = Empty(options?.CredentialSource),
            MfaSerial = Empty(options?.MfaSerial),
            Region = profile?.Region?.SystemName,
            EndpointUrl = Empty(profile?.EndpointUrl),
            Files = catalog.FilesDefining(name).ToList(),
        };
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
            Kind = CredentialKind.AssumeRole,
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
            return CredentialKind.AssumeRole;
        }
        if (!string.IsNullOrEmpty(options.AccessKey))
        {
            return string.IsNullOrEmpty(options.Token) ? CredentialKind.Static : CredentialKind.Session;
        }
        if (!string.IsNullOrEmpty(options.CredentialProcess))
        {
            return CredentialKind.Process;
        }
        if (!string.IsNullOrEmpty(options.SsoSession) || !string.IsNullOrEmpty(options.SsoStartUrl))
        {
            return CredentialKind.Sso;
        }
        return string.IsNullOrEmpty(options.WebIdentityTokenFile) ? CredentialKind.None : CredentialKind.WebIdentity;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
