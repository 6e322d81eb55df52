using System.IO;
using System.Linq;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class RoleProfileEditorTests
{
    private const string Role = "arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole";

    private static RoleProfileEdit Apply(string text, RoleProfileSpec spec) => RoleProfileEditor.Apply(text, spec, "/home/ops/.aws/config");

    [Fact]
    public void Writes_the_runbooks_profile_into_an_empty_file()
    {
        var edit = Apply("", new RoleProfileSpec("backup-role", Role, "imap"));
        Assert.Equal($"[profile backup-role]\nrole_arn = {Role}\nsource_profile = imap\n", edit.NewText);
        Assert.True(edit.Created);
    }

    [Fact]
    public void Updates_an_existing_profile_keeping_its_other_keys_and_the_rest_of_the_file()
    {
        var text = "# ops config\r\n[default]\r\nregion = eu-west-2\r\n\r\n[profile backup-role]\r\nrole_arn = arn:aws:iam::123456789012:role/Old\r\n" +
                   "credential_source = Environment\r\noutput = table\r\n\r\n[profile other]\r\nregion = us-east-1";
        var edit = Apply(text, new RoleProfileSpec("backup-role", Role, "imap", Region: "eu-west-2", DurationSeconds: 3600));
        Assert.Equal("# ops config\r\n[default]\r\nregion = eu-west-2\r\n\r\n[profile backup-role]\r\n" +
                     $"role_arn = {Role}\r\noutput = table\r\nsource_profile = imap\r\nregion = eu-west-2\r\nduration_seconds = 3600\r\n" +
                     "\r\n[profile other]\r\nregion = us-east-1", edit.NewText);
        Assert.Contains("credential_source = Environment", edit.Before);
        Assert.DoesNotContain("credential_source = Environment", edit.After);
    }

    private const string SourceOnAnotherServer =
        "[profile imap]\nregion = eu-west-2\nendpoint_url = http://127.0.0.1:8000\nrequest_checksum_calculation = when_required\n" +
        "response_checksum_validation = when_required\noutput = json\ns3 =\n  addressing_style = path\n";

    [Fact]
    public void Reads_only_the_connection_settings_of_the_source_profile()
    {
        var settings = RoleProfileEditor.ConnectionSettingsOf(SourceOnAnotherServer, "imap");
        Assert.Equal(new[] { "region", "endpoint_url", "request_checksum_calculation", "response_checksum_validation" }, settings.Select(setting => setting.Key));
        Assert.Equal("http://127.0.0.1:8000", settings.Single(setting => setting.Key == "endpoint_url").Value);
        Assert.Empty(RoleProfileEditor.ConnectionSettingsOf(SourceOnAnotherServer, "other"));
    }

    [Fact]
    public void Copies_the_source_settings_with_the_explicit_ones_winning()
    {
        var copied = RoleProfileEditor.ConnectionSettingsOf(SourceOnAnotherServer, "imap");
        var edit = Apply(SourceOnAnotherServer, new RoleProfileSpec("backup-role", Role, "imap", Region: "us-east-1", CopiedSettings: copied));
        Assert.EndsWith($"\n[profile backup-role]\nrole_arn = {Role}\nsource_profile = imap\nregion = us-east-1\nendpoint_url = http://127.0.0.1:8000\n" +
                        "request_checksum_calculation = when_required\nresponse_checksum_validation = when_required\n", edit.NewText);
        Assert.Empty(RoleProfileEditor.MissingConnectionSettings(SourceOnAnotherServer, edit, "imap"));
    }

    [Fact]
    public void Names_the_source_settings_a_role_profile_would_lack()
    {
        var edit = Apply(SourceOnAnotherServer, new RoleProfileSpec("backup-role", Role, "imap", EndpointUrl: "http://127.0.0.1:8000"));
        Assert.Contains("endpoint_url = http://127.0.0.1:8000", edit.After);
        Assert.Equal(new[] { "region", "request_checksum_calculation", "response_checksum_validation" },
            RoleProfileEditor.MissingConnectionSettings(SourceOnAnotherServer, edit, "imap"));
    }

    [Theory]
    [InlineData("127.0.0.1:8000")]
    [InlineData("ftp://example.com")]
    [InlineData("/relative")]
    public void Refuses_an_endpoint_that_is_not_an_absolute_http_url(string endpoint)
    {
        var failure = Assert.Throws<S3BackupException>(() => Apply("", new RoleProfileSpec("backup-role", Role, "imap", EndpointUrl: endpoint)));
        Assert.Equal(ErrorId.InvalidArgument, failure.ErrorId);
        Assert.Contains("absolute URL", failure.Message);
    }

    [Fact]
    public void Names_the_default_profile_without_the_profile_prefix()
    {
        var edit = Apply("[default]\nregion = x\n", new RoleProfileSpec("default", Role, "imap"));
        Assert.StartsWith("[default]\nregion = x\nrole_arn = ", edit.NewText);
    }

    [Fact]
    public void Reports_no_change_when_the_profile_already_matches()
    {
        var text = $"[profile backup-role]\nrole_arn = {Role}\nsource_profile = imap\n";
        var edit = Apply(text, new RoleProfileSpec("backup-role", Role, "imap"));
        Assert.False(edit.Changed);
        Assert.Equal(text, edit.NewText);
    }

    [Fact]
    public void Masks_secret_values_in_what_it_shows()
    {
        var edit = Apply("[profile mixed]\naws_secret_access_key = hunter2\naws_session_token = tok\n", new RoleProfileSpec("mixed", Role, "imap"));
        var shown = string.Join("\n", edit.Before.Concat(edit.After));
        Assert.DoesNotContain("hunter2", shown);
        Assert.DoesNotContain("tok\n", shown + "\n");
        Assert.Contains("aws_secret_access_key = ********", shown);
    }

    [Fact]
    public void Refuses_a_duplicated_section_naming_its_lines()
    {
        var failure = Assert.Throws<S3BackupException>(() =>
            Apply("[profile b]\nregion = x\n[other]\n[profile  b]\n", new RoleProfileSpec("b", Role, "imap")));
        Assert.Equal(ErrorId.ConfigSectionDuplicated, failure.ErrorId);
        Assert.Contains("lines 1, 4", failure.Message);
    }

    [Fact]
    public void Refuses_a_malformed_file_naming_the_line()
    {
        var failure = Assert.Throws<S3BackupException>(() => Apply("[a]\nk = v\nnonsense\n", new RoleProfileSpec("b", Role, "imap")));
        Assert.Equal(ErrorId.ConfigFileMalformed, failure.ErrorId);
        Assert.Contains("line 3", failure.Message);
    }

    [Theory]
    [InlineData("bad name", Role, "imap", null, null, null, null, ErrorId.InvalidArgument)]
    [InlineData("b[1]", Role, "imap", null, null, null, null, ErrorId.InvalidArgument)]
    [InlineData("b", "arn:aws:iam::123:role/x", "imap", null, null, null, null, ErrorId.InvalidRoleArn)]
    [InlineData("b", "arn:aws:iam::123456789012:user/x", "imap", null, null, null, null, ErrorId.InvalidRoleArn)]
    [InlineData("b", Role, "b", null, null, null, null, ErrorId.InvalidArgument)]
    [InlineData("b", Role, "imap", "EU West", null, null, null, ErrorId.InvalidArgument)]
    [InlineData("b", Role, "imap", null, "x", null, null, ErrorId.InvalidArgument)]
    [InlineData("b", Role, "imap", null, null, "123", null, ErrorId.InvalidArgument)]
    [InlineData("b", Role, "imap", null, null, null, 60, ErrorId.InvalidArgument)]
    [InlineData("b", Role, "imap", null, null, null, 50000, ErrorId.InvalidArgument)]
    public void Validates_every_value_before_editing(string name, string roleArn, string source, string? region, string? externalId,
        string? mfaSerial, int? duration, ErrorId expected)
    {
        var failure = Assert.Throws<S3BackupException>(() =>
            Apply("", new RoleProfileSpec(name, roleArn, source, region, externalId, mfaSerial, duration)));
        Assert.Equal(expected, failure.ErrorId);
    }

    [Fact]
    public void What_it_writes_is_what_the_aws_sdk_reads()
    {
        using var folder = new ProfileFolder("[default]\nregion = eu-west-2\n", "[imap]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n");
        var spec = new RoleProfileSpec("backup-role", Role, "imap", "eu-west-1", "ext-1", "arn:aws:iam::123456789012:mfa/ops", 7200, "restore");
        var edit = RoleProfileEditor.Apply(File.ReadAllText(folder.ConfigPath), spec, folder.ConfigPath);
        AtomicFile.WriteAllText(folder.ConfigPath, edit.NewText, written => written == edit.NewText);

        var sdk = folder.Catalog().SdkProfile("backup-role")!;
        Assert.Equal((Role, "imap", "ext-1", "arn:aws:iam::123456789012:mfa/ops", "restore", "eu-west-1"),
            (sdk.Options.RoleArn, sdk.Options.SourceProfile, sdk.Options.ExternalID, sdk.Options.MfaSerial, sdk.Options.RoleSessionName, sdk.Region.SystemName));
        Assert.Equal(7200, folder.Resolver().Plan("backup-role").Hops.Single().DurationSeconds);
    }
}
