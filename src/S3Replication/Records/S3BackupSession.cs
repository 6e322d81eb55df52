using System;

namespace S3Replication.Records;

/// <summary>
/// What a session is connected as: a description, not the session. Never carries a secret: keys, tokens and clients
/// stay in the runspace's session store, which finds the session again by profile, region and endpoint when the
/// record is passed back (-Session, -BackupSession, -SourceSession); Export-Clixml or ConvertTo-Json of this record
/// writes only what is shown here.
/// </summary>
public sealed class S3BackupSession
{
    public string? ProfileName { get; set; }
    public string Region { get; set; } = "";
    public string? Endpoint { get; set; }
    /// <summary>How the credentials are obtained: Static, Session, AssumeRole, WebIdentity, Sso, Process, Environment, InstanceMetadata or Container.</summary>
    public string CredentialKind { get; set; } = "";
    public string? RoleArn { get; set; }
    public string? Account { get; set; }
    public string? Arn { get; set; }

    /// <summary>How the identity was learned: GetCallerIdentity, AssumeRole, or Unknown when the endpoint cannot tell.</summary>
    public string IdentitySource { get; set; } = "Unknown";

    public DateTime? Expiration { get; set; }

    /// <summary>How the credentials are obtained, e.g. <c>Static (profile imap) -> AssumeRole arn:… (profile backup-role)</c>.</summary>
    public string CredentialChain { get; set; } = "";

    public bool IsDefault { get; set; }

    public override string ToString() =>
        $"{ProfileName ?? "(default credentials)"} as {Arn ?? "unknown identity"} in {Region}" + (Endpoint is null ? "" : $" at {Endpoint}");
}
