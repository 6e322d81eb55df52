using System;
using System.Globalization;

namespace S3Replication.Session;

/// <summary>
/// The line Connect-S3Backup shows on success: who the session acts as, with which profile, and until when its
/// credentials last, so the person at the console knows which account and role the following commands will use.
/// Names only: never a key or token.
/// </summary>
internal static class ConnectionNotice
{
    public static string Text(string? arn, string? profileName, CredentialKind kind, DateTime? expiration)
    {
        var until = expiration is { } expires
            ? " until " + new DateTimeOffset(expires).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)
            : "";
        return $"Connected as {arn ?? "an identity this endpoint does not report"} " +
            $"({(profileName is null ? "no profile" : "profile " + profileName)}, {Describe(kind)}{until}).";
    }

    private static string Describe(CredentialKind kind) => kind switch
    {
        CredentialKind.Static => "long-term access keys",
        CredentialKind.Session => "temporary keys from the profile",
        CredentialKind.AssumeRole => "role credentials",
        CredentialKind.Process => "credentials from credential_process",
        CredentialKind.Sso => "IAM Identity Center credentials",
        CredentialKind.WebIdentity => "web identity role credentials",
        CredentialKind.Environment => "access keys from the environment",
        CredentialKind.InstanceMetadata => "EC2 instance profile credentials",
        CredentialKind.Container => "container credentials",
        _ => "credentials of kind " + kind,
    };
}
