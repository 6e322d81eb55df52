using System.Collections.Generic;
using S3Replication.Session;

namespace S3Replication.Records;

/// <summary>One profile from the shared config/credentials files, as Get-AwsConfigProfile lists it. Never a secret.</summary>
public sealed class AwsProfileRecord
{
    public string Name { get; set; } = "";
    public CredentialKind Kind { get; set; }
    public string? RoleArn { get; set; }
    public string? SourceProfile { get; set; }
    public string? CredentialSource { get; set; }
    public string? MfaSerial { get; set; }
    public string? Region { get; set; }
    public string? EndpointUrl { get; set; }
    public List<string> Files { get; set; } = new();

    public override string ToString() => RoleArn is null ? $"{Name} ({Kind})" : $"{Name} ({Kind} {RoleArn} via {SourceProfile ?? CredentialSource})";
}
