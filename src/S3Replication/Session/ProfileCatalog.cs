using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Amazon.Runtime.CredentialManagement;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>Where the shared config and credentials files are, by the same rules the AWS SDK follows.</summary>
internal sealed record ProfileFiles(string CredentialsPath, string ConfigPath)
{
    public static ProfileFiles Locate(IEnvironmentReader environment)
    {
        var awsFolder = Path.Combine(environment.HomeDirectory, ".aws");
        var credentials = environment.Get("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(awsFolder, "credentials");
        // Without AWS_CONFIG_FILE the SDK reads the "config" file beside the credentials file; match it so what we
        // list and validate is what the SDK resolves.
        var config = environment.Get("AWS_CONFIG_FILE")
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(credentials)) ?? awsFolder, "config");
        return new ProfileFiles(credentials, config);
    }
}

/// <summary>
/// Both profile files, read once per resolution: the SDK's own parsed profiles (credentials are always built from
/// those) plus a lossless view of the text for what the SDK does not read (duration_seconds, nested s3 settings,
/// services sections) and for reporting a malformed file with its line number.
/// </summary>
internal sealed class ProfileCatalog
{
    private const string ProfilePrefix = "profile ";
    private readonly IniDocument? _config;
    private readonly IniDocument? _credentials;

    private ProfileCatalog(ProfileFiles files, IniDocument? config, IniDocument? credentials, SharedCredentialsFile store)
    {
        Files = files;
        _config = config;
        _credentials = credentials;
        Store = store;
    }

    public ProfileFiles Files { get; }
    public SharedCredentialsFile Store { get; }

    public static ProfileCatalog Load(ProfileFiles files)
    {
        var config = ReadValidated(files.ConfigPath);
        var credentials = ReadValidated(files.CredentialsPath);
        SharedCredentialsFile store;
        try
        {
            store = new SharedCredentialsFile(files.CredentialsPath);
        }
        catch (Exception error)
        {
            throw new S3BackupException(ErrorId.ConfigFileMalformed, ErrorCategory.InvalidData,
                $"The AWS SDK could not read the profile files '{files.CredentialsPath}' / '{files.ConfigPath}': {error.Message}",
                files.CredentialsPath, error);
        }
        RequireSdkReadsSameConfig(files, store);
        return new ProfileCatalog(files, config, credentials, store);
    }

    /// <summary>
    /// The SDK fixes the AWS_CONFIG_FILE path the first time any AWS client or profile is used in a process (and
    /// ignores the variable when the file did not exist then). If it now points elsewhere, profiles would silently
    /// resolve from the wrong file; say so instead.
    /// </summary>
    private static void RequireSdkReadsSameConfig(ProfileFiles files, SharedCredentialsFile store)
    {
        if (Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") is not { Length: > 0 }
            || string.Equals(Path.GetFullPath(store.ConfigFilePath), Path.GetFullPath(files.ConfigPath), StringComparison.Ordinal))
        {
            return;
        }
        throw new S3BackupException(ErrorId.ConfigFileMalformed, ErrorCategory.InvalidOperation,
            $"AWS_CONFIG_FILE is '{files.ConfigPath}', but the AWS SDK in this PowerShell process already settled on " +
            $"'{store.ConfigFilePath}' (it reads the variable once, when first used, and only if the file existed). " +
            "Start a new PowerShell session with AWS_CONFIG_FILE set to an existing file.", files.ConfigPath);
    }

    internal static IniDocument? ReadValidated(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var document = IniDocument.Parse(AtomicFile.ReadAllText(path));
        var problem = document.Problems.FirstOrDefault();
        if (problem is not null)
        {
            throw new S3BackupException(ErrorId.ConfigFileMalformed, ErrorCategory.InvalidData,
                $"{path}, line {problem.LineNumber}: {problem.Reason}. Fix or remove that line; nothing was changed.",
                path);
        }
        return document;
    }

    /// <summary>Profile names in both files, config first, each once, in file order.</summary>
    public IReadOnlyList<string> ProfileNames =>
        ConfigProfileSections().Select(entry => entry.Name)
            .Concat((_credentials?.Sections ?? Array.Empty<IniSection>()).Select(section => IniDocument.NormalizeHeader(section.Header)))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    public bool Exists(string name) => ProfileNames.Contains(name, StringComparer.Ordinal);

    public IReadOnlyList<string> FilesDefining(string name)
    {
        var files = new List<string>();
        if (ConfigProfileSections().Any(entry => entry.Name == name))
        {
            files.Add(Files.ConfigPath);
        }
        if (_credentials?.FindSections(name).Count > 0)
        {
            files.Add(Files.CredentialsPath);
        }
        return files;
    }

    public CredentialProfile? SdkProfile(string name) => Store.TryGetProfile(name, out var profile) ? profile : null;

    /// <summary>
    /// The profile's own endpoint_url, read from its section: the SDK's parsed profile drops it when the profile also names a
    /// services section, while the AWS documentation has the two work together (the services section wins per service).
    /// </summary>
    public string? EndpointUrl(string name) => RawValue(name, "endpoint_url") is { Length: > 0 } url ? url : null;

    /// <summary>A key the SDK does not parse, from the profile's section in either file (config wins, as in the SDK).</summary>
    public string? RawValue(string name, string key) =>
        SectionsOf(name).SelectMany(entry => entry.Document.PropertiesOf(entry.Section))
            .FirstOrDefault(line => line.Name == key)?.Value;

    public string? NestedValue(string name, string key, string nestedKey) =>
        SectionsOf(name).SelectMany(entry => entry.Document.NestedOf(entry.Section, key))
            .FirstOrDefault(line => line.Name == nestedKey)?.Value;

    /// <summary>A value from a <c>[services name]</c> section: <c>s3 =</c> then <c>  endpoint_url = …</c>.</summary>
    public string? ServicesValue(string servicesName, string service, string key)
    {
        if (_config is null)
        {
            return null;
        }
        return _config.FindSections($"services {servicesName}")
            .SelectMany(section => _config.NestedOf(section, service))
            .FirstOrDefault(line => line.Name == key)?.Value;
    }

    /// <summary>Whether the config file has a section with this header, e.g. <c>sso-session corp</c>.</summary>
    public bool HasConfigSection(string header) => _config?.FindSections(header).Count > 0;

    /// <summary>A value from a non-profile config section such as <c>[sso-session NAME]</c>.</summary>
    public string? ConfigSectionValue(string header, string key) =>
        _config?.FindSections(header).SelectMany(section => _config.PropertiesOf(section)).FirstOrDefault(line => line.Name == key)?.Value;

    private IEnumerable<(IniDocument Document, IniSection Section)> SectionsOf(string name)
    {
        foreach (var entry in ConfigProfileSections().Where(entry => entry.Name == name))
        {
            yield return (_config!, entry.Section);
        }
        if (_credentials is not null)
        {
            foreach (var section in _credentials.FindSections(name))
            {
                yield return (_credentials, section);
            }
        }
    }

    private IEnumerable<(string Name, IniSection Section)> ConfigProfileSections()
    {
        if (_config is null)
        {
            yield break;
        }
        foreach (var section in _config.Sections)
        {
            var header = IniDocument.NormalizeHeader(section.Header);
            if (header == "default")
            {
                yield return ("default", section);
            }
            else if (header.StartsWith(ProfilePrefix, StringComparison.Ordinal))
            {
                yield return (header.Substring(ProfilePrefix.Length), section);
            }
        }
    }

    /// <summary>The config-file header for a profile name: <c>default</c> or <c>profile NAME</c>.</summary>
    public static string ConfigHeaderFor(string name) => name == "default" ? "default" : ProfilePrefix + name;
}
