using System;
using S3Replication.Session;

namespace S3Replication.Records;

/// <summary>
/// What a session is connected as. Never carries a secret: keys and tokens stay inside the live session, which is
/// not serialized (Export-Clixml or ConvertTo-Json of this record writes only what is shown here).
/// </summary>
public sealed class S3BackupSession
{
    public string? ProfileName { get; set; }
    public string Region { get; set; } = "";
    public string? Endpoint { get; set; }
    public CredentialKind CredentialKind { get; set; }
    public string? RoleArn { get; set; }
    public string? Account { get; set; }
    public string? Arn { get; set; }

    /// <summary>How the identity was learned: GetCallerIdentity, AssumeRole, or Unknown when the endpoint cannot tell.</summary>
    public string IdentitySource { get; set; } = "Unknown";

    public DateTime? Expiration { get; set; }

    /// <summary>How the credentials are obtained, e.g. <c>Static (profile imap) -> AssumeRole arn:… (profile backup-role)</c>.</summary>
    public string CredentialChain { get; set; } = "";

    public bool IsDefault { get; set; }

    internal AwsSession? Live { get; set; }

    public override string ToString() =>
        $"{ProfileName ?? "(default credentials)"} as {Arn ?? "unknown identity"} in {Region}" + (Endpoint is null ? "" : $" at {Endpoint}");
}
