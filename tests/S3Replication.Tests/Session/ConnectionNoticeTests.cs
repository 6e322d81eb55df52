using System;
using System.Globalization;
using S3Replication.Session;
using Xunit;

namespace S3Replication.Tests.Session;

/// <summary>The line Connect-S3Backup shows on success.</summary>
public class ConnectionNoticeTests
{
    [Fact]
    public void Names_the_identity_the_profile_and_the_moment_role_credentials_end_with_its_offset()
    {
        var expiresUtc = new DateTime(2026, 12, 5, 14, 3, 11, DateTimeKind.Utc);

        var text = ConnectionNotice.Text("arn:aws:sts::123456789012:assumed-role/BackupRole/S3Replication-1796194081", "backup-role",
            CredentialKind.AssumeRole, expiresUtc.ToLocalTime());

        const string Start = "Connected as arn:aws:sts::123456789012:assumed-role/BackupRole/S3Replication-1796194081 (profile backup-role, role credentials until ";
        Assert.StartsWith(Start, text);
        Assert.EndsWith(").", text);
        var shown = DateTimeOffset.ParseExact(text.Substring(Start.Length, text.Length - Start.Length - 2), "yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
        Assert.Equal(expiresUtc, shown.UtcDateTime);
    }

    [Fact]
    public void Says_so_when_the_endpoint_does_not_report_the_identity_and_the_keys_do_not_expire()
    {
        Assert.Equal("Connected as an identity this endpoint does not report (profile imap, long-term access keys).",
            ConnectionNotice.Text(null, "imap", CredentialKind.Static, null));
    }

    [Fact]
    public void Credentials_from_outside_any_profile_say_where_they_come_from()
    {
        Assert.Equal("Connected as arn:aws:iam::123456789012:user/ops (no profile, access keys from the environment).",
            ConnectionNotice.Text("arn:aws:iam::123456789012:user/ops", null, CredentialKind.Environment, null));
    }
}
