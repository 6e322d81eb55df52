using System;
using System.Collections.Generic;
using System.IO;
using S3Replication.Session;

namespace S3Replication.Tests.Support;

/// <summary>A temporary ~/.aws with the given files, and an environment that points at it.</summary>
internal sealed class ProfileFolder : IDisposable
{
    public ProfileFolder(string config = "", string credentials = "", IDictionary<string, string>? variables = null)
    {
        Folder = Path.Combine(Path.GetTempPath(), "s3r-profiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        File.WriteAllText(CredentialsPath, credentials);
        File.WriteAllText(ConfigPath, config);
        var values = new Dictionary<string, string>(variables ?? new Dictionary<string, string>())
        {
            ["AWS_SHARED_CREDENTIALS_FILE"] = CredentialsPath,
        };
        Environment = new FixedEnvironment(values, Folder);
    }

    public string Folder { get; }
    public string CredentialsPath => Path.Combine(Folder, "credentials");
    public string ConfigPath => Path.Combine(Folder, "config");
    public FixedEnvironment Environment { get; }

    public ProfileCatalog Catalog() => ProfileCatalog.Load(ProfileFiles.Locate(Environment));
    public ProfileResolver Resolver() => new(Catalog(), Environment);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
