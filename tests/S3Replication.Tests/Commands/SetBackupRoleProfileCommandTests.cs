using System.Collections.Generic;
using System.IO;
using System.Linq;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Commands;

public class SetBackupRoleProfileCommandTests
{
    private const string Role = "arn:aws:iam::123456789012:role/BackupRole";
    private const string Original = "# hand-written\n[profile imap]\nregion = eu-west-2\n";

    private static (IReadOnlyList<System.Management.Automation.ErrorRecord> Errors, string Text) Run(string arguments)
    {
        using var folder = new ProfileFolder(Original, "");
        using var shell = new HostedPowerShell();
        var (_, errors) = shell.Run($"Set-BackupRoleProfile -ConfigFile $file {arguments}", new Dictionary<string, object?> { ["file"] = folder.ConfigPath });
        return (errors, File.ReadAllText(folder.ConfigPath));
    }

    [Theory]
    [InlineData("-Name backup-role -RoleArn 'arn:aws:iam::1:role/x' -SourceProfile imap", "InvalidRoleArn")]
    [InlineData("-Name backup-role -RoleArn 'not an arn' -SourceProfile imap", "InvalidRoleArn")]
    [InlineData("-Name 'has space' -RoleArn $role -SourceProfile imap", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile backup-role", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile nobody", "SourceProfileMissing")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile imap -Region 'EU WEST'", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile imap -ExternalId 'x'", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile imap -MfaSerial 'short'", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile imap -RoleSessionName 'has space'", "InvalidArgument")]
    [InlineData("-Name backup-role -RoleArn $role -SourceProfile imap -DurationSeconds 10", "ParameterArgumentValidationError")]
    [InlineData("-Name '' -RoleArn $role -SourceProfile imap", "ParameterArgumentValidationError")]
    public void Bad_input_gets_a_specific_error_and_changes_nothing(string arguments, string errorId)
    {
        var (errors, text) = Run(arguments.Replace("$role", $"'{Role}'"));
        var error = Assert.Single(errors);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId);
        Assert.Equal(Original, text);
    }

    [Fact]
    public void WhatIf_changes_nothing()
    {
        var (errors, text) = Run($"-Name backup-role -RoleArn '{Role}' -SourceProfile imap -WhatIf");
        Assert.Empty(errors);
        Assert.Equal(Original, text);
    }

    [Fact]
    public void Writes_the_profile_and_returns_it_with_PassThru()
    {
        using var folder = new ProfileFolder(Original, "");
        using var shell = new HostedPowerShell();
        var (output, errors) = shell.Run($"Set-BackupRoleProfile -ConfigFile $file -Name backup-role -RoleArn '{Role}' -SourceProfile imap -PassThru",
            new Dictionary<string, object?> { ["file"] = folder.ConfigPath });
        Assert.Empty(errors);
        var profile = Assert.Single(output).BaseObject as S3Replication.Records.AwsProfileRecord;
        Assert.Equal(("backup-role", Role, "imap"), (profile!.Name, profile.RoleArn, profile.SourceProfile));
        Assert.Equal(Original + $"\n[profile backup-role]\nrole_arn = {Role}\nsource_profile = imap\n", File.ReadAllText(folder.ConfigPath));
    }

    [Fact]
    public void Binds_profiles_from_the_pipeline_by_property_name()
    {
        using var folder = new ProfileFolder(Original, "");
        using var shell = new HostedPowerShell();
        var (_, errors) = shell.Run(
            "@([pscustomobject]@{ Name = 'a'; RoleArn = $role; SourceProfile = 'imap' }, [pscustomobject]@{ Name = 'b'; RoleArn = $role; SourceProfile = 'imap'; DurationSeconds = 900 }) | Set-BackupRoleProfile -ConfigFile $file",
            new Dictionary<string, object?> { ["file"] = folder.ConfigPath, ["role"] = Role });
        Assert.Empty(errors);
        var text = File.ReadAllText(folder.ConfigPath);
        Assert.Contains("[profile a]", text);
        Assert.Contains("[profile b]\nrole_arn = " + Role + "\nsource_profile = imap\nduration_seconds = 900\n", text);
    }
}
