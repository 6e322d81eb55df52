using System.Collections.Generic;
using System.Linq;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class ProfileResolverTests
{
    private const string Keys = "aws_access_key_id = AKIAOPS\naws_secret_access_key = opsSecret\n";
    private const string RoleA = "arn:aws:iam::111111111111:role/A";
    private const string RoleB = "arn:aws:iam::222222222222:role/B";

    private static CredentialPlan Plan(string config, string credentials, string? profile, Dictionary<string, string>? variables = null)
    {
        using var folder = new ProfileFolder(config, credentials, variables);
        return folder.Resolver().Plan(profile);
    }

    private static S3BackupException Failure(string config, string credentials, string? profile, Dictionary<string, string>? variables = null) =>
        Assert.Throws<S3BackupException>(() => Plan(config, credentials, profile, variables));

    [Fact]
    public void Static_keys_from_the_credentials_file()
    {
        var plan = Plan("", "[imap]\n" + Keys, "imap");
        Assert.Equal(new CredentialBase(CredentialKind.Static, "imap"), plan.Base);
        Assert.Empty(plan.Hops);
    }

    [Fact]
    public void Session_keys_are_their_own_kind()
    {
        var plan = Plan("", "[t]\n" + Keys + "aws_session_token = tok\n", "t");
        Assert.Equal(CredentialKind.Session, plan.Kind);
    }

    [Fact]
    public void Role_profile_with_source_profile_as_in_the_runbook()
    {
        var plan = Plan($"[profile backup-role]\nrole_arn = {RoleA}\nsource_profile = imap\n", "[imap]\n" + Keys, "backup-role");
        Assert.Equal(new CredentialBase(CredentialKind.Static, "imap"), plan.Base);
        var hop = Assert.Single(plan.Hops);
        Assert.Equal(("backup-role", RoleA), (hop.ProfileName, hop.RoleArn));
        Assert.Equal(CredentialKind.AssumeRole, plan.Kind);
        Assert.Equal(RoleA, plan.RoleArn);
    }

    [Fact]
    public void Chains_of_roles_are_assumed_from_the_base_outwards()
    {
        var config = $"[profile outer]\nrole_arn = {RoleB}\nsource_profile = inner\n[profile inner]\nrole_arn = {RoleA}\nsource_profile = base\n";
        var plan = Plan(config, "[base]\n" + Keys, "outer");
        Assert.Equal("base", plan.Base.ProfileName);
        Assert.Equal(new[] { RoleA, RoleB }, plan.Hops.Select(hop => hop.RoleArn));
        Assert.Equal($"Static (profile base) -> AssumeRole {RoleA} (profile inner) -> AssumeRole {RoleB} (profile outer)", plan.Describe());
    }

    [Fact]
    public void Optional_role_settings_are_carried_into_the_hop()
    {
        var config = $"[profile r]\nrole_arn = {RoleA}\nsource_profile = imap\nexternal_id = ext-123\nrole_session_name = nightly\n" +
            "mfa_serial = arn:aws:iam::111111111111:mfa/ops\nduration_seconds = 7200\n";
        var hop = Plan(config, "[imap]\n" + Keys, "r").Hops.Single();
        Assert.Equal(new AssumeRoleHop("r", RoleA, "nightly", "ext-123", "arn:aws:iam::111111111111:mfa/ops", 7200), hop);
    }

    [Theory]
    [InlineData("a", "a -> b -> a")]
    [InlineData("b", "b -> a -> b")]
    public void A_source_profile_cycle_is_named(string start, string cycle)
    {
        var config = $"[profile a]\nrole_arn = {RoleA}\nsource_profile = b\n[profile b]\nrole_arn = {RoleB}\nsource_profile = a\n";
        var failure = Failure(config, "", start);
        Assert.Equal(ErrorId.ProfileCycle, failure.ErrorId);
        Assert.Contains(cycle, failure.Message);
    }

    [Fact]
    public void A_role_profile_may_be_its_own_source_when_it_holds_keys()
    {
        var plan = Plan("", $"[self]\n{Keys}role_arn = {RoleA}\nsource_profile = self\n", "self");
        Assert.Equal(new CredentialBase(CredentialKind.Static, "self"), plan.Base);
        Assert.Single(plan.Hops);
    }

    [Fact]
    public void Self_reference_without_keys_is_a_cycle()
    {
        var failure = Failure($"[profile self]\nrole_arn = {RoleA}\nsource_profile = self\n", "", "self");
        Assert.Equal(ErrorId.ProfileCycle, failure.ErrorId);
        Assert.Contains("self -> self", failure.Message);
    }

    [Fact]
    public void A_missing_source_profile_names_both_profiles()
    {
        var failure = Failure($"[profile r]\nrole_arn = {RoleA}\nsource_profile = gone\n", "[imap]\n" + Keys, "r");
        Assert.Equal(ErrorId.SourceProfileMissing, failure.ErrorId);
        Assert.Contains("'r' names source_profile 'gone'", failure.Message);
        Assert.Contains("known profiles: r, imap", failure.Message);
    }

    [Fact]
    public void An_unknown_profile_lists_the_known_ones()
    {
        var failure = Failure("[default]\nregion = eu-west-2\n", "[imap]\n" + Keys, "nope");
        Assert.Equal(ErrorId.ProfileNotFound, failure.ErrorId);
        Assert.Contains("known profiles: default, imap", failure.Message);
    }

    [Theory]
    [InlineData("Environment", "Environment")]
    [InlineData("Ec2InstanceMetadata", "InstanceMetadata")]
    [InlineData("EcsContainer", "Container")]
    public void Credential_source_is_the_base(string source, string kind)
    {
        var plan = Plan($"[profile r]\nrole_arn = {RoleA}\ncredential_source = {source}\n", "", "r");
        Assert.Equal(kind, plan.Base.Kind.ToString());
        Assert.Single(plan.Hops);
    }

    [Theory]
    [InlineData("role_arn = {0}\ncredential_source = Nowhere\n", "credential_source = Nowhere")]
    [InlineData("role_arn = {0}\ncredential_source = Environment\nsource_profile = imap\n", "both source_profile and credential_source")]
    [InlineData("role_arn = {0}\n", "neither source_profile nor credential_source")]
    [InlineData("role_arn = {0}\nsource_profile = imap\nduration_seconds = 60\n", "duration_seconds = 60")]
    [InlineData("role_arn = {0}\nsource_profile = imap\nduration_seconds = soon\n", "duration_seconds = soon")]
    [InlineData("role_arn = {0}\nsource_profile = imap\nretry_mode = sometimes\n", "setting the AWS SDK rejects")]
    public void Invalid_role_profiles_say_what_is_wrong(string body, string expected)
    {
        var failure = Failure("[profile r]\n" + string.Format(body, RoleA), "[imap]\n" + Keys, "r");
        Assert.Equal(ErrorId.ProfileInvalid, failure.ErrorId);
        Assert.Contains(expected, failure.Message);
    }

    [Fact]
    public void A_malformed_role_arn_is_refused()
    {
        var failure = Failure("[profile r]\nrole_arn = arn:aws:iam::12:user/x\nsource_profile = imap\n", "[imap]\n" + Keys, "r");
        Assert.Equal(ErrorId.InvalidRoleArn, failure.ErrorId);
    }

    [Theory]
    [InlineData("credential_process = /bin/echo {}\n", "Process")]
    [InlineData("sso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Ops\n", "Sso")]
    public void Other_sources_are_recognised(string body, string kind) =>
        Assert.Equal(kind, Plan("[profile p]\n" + body, "", "p").Kind.ToString());

    [Fact]
    public void A_profile_without_credentials_says_so()
    {
        var failure = Failure("[profile p]\nregion = eu-west-2\n", "", "p");
        Assert.Equal(ErrorId.ProfileHasNoCredentials, failure.ErrorId);
    }

    [Fact]
    public void Keys_without_secret_are_refused_without_echoing_the_key()
    {
        var failure = Failure("", "[p]\naws_access_key_id = AKIAONLY\n", "p");
        Assert.Equal(ErrorId.ProfileInvalid, failure.ErrorId);
        Assert.DoesNotContain("AKIAONLY", failure.Message);
    }

    [Fact]
    public void A_malformed_file_is_reported_with_file_and_line()
    {
        using var folder = new ProfileFolder("[default]\nregion = eu-west-2\nthis is not a setting\n", "");
        var failure = Assert.Throws<S3BackupException>(() => folder.Catalog());
        Assert.Equal(ErrorId.ConfigFileMalformed, failure.ErrorId);
        Assert.Contains(folder.ConfigPath + ", line 3", failure.Message);
    }

    // Precedence when no profile is named: AWS_PROFILE, then environment keys, then [default], then the SDK chain.
    [Fact]
    public void Aws_profile_beats_environment_keys()
    {
        var variables = new Dictionary<string, string> { ["AWS_PROFILE"] = "imap", ["AWS_ACCESS_KEY_ID"] = "AKIAENV", ["AWS_SECRET_ACCESS_KEY"] = "s" };
        Assert.Equal("imap", Plan("", "[imap]\n" + Keys + "[default]\n" + Keys, null, variables).Base.ProfileName);
    }

    [Fact]
    public void Environment_keys_beat_the_default_profile()
    {
        var variables = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIAENV", ["AWS_SECRET_ACCESS_KEY"] = "s" };
        Assert.Equal(CredentialKind.Environment, Plan("", "[default]\n" + Keys, null, variables).Kind);
    }

    [Fact]
    public void The_default_profile_applies_when_nothing_else_is_set() =>
        Assert.Equal("default", Plan("", "[default]\n" + Keys, null).Base.ProfileName);

    [Fact]
    public void Without_any_profile_the_instance_role_applies() =>
        Assert.Equal(CredentialKind.InstanceMetadata, Plan("", "", null).Kind);

    [Fact]
    public void Without_any_profile_a_web_identity_from_the_environment_comes_first_then_the_container()
    {
        var all = new Dictionary<string, string>
        {
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/var/run/token",
            ["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/Runbook",
            ["AWS_ROLE_SESSION_NAME"] = "nightly",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/creds",
        };
        var web = Plan("", "", null, all);
        Assert.Equal(CredentialKind.WebIdentity, web.Kind);
        Assert.Equal(new WebIdentitySource("/var/run/token", "arn:aws:iam::111122223333:role/Runbook", "nightly", "AWS_WEB_IDENTITY_TOKEN_FILE"), web.Base.WebIdentity);
        Assert.Equal("arn:aws:iam::111122223333:role/Runbook", web.RoleArn);

        all.Remove("AWS_ROLE_ARN");
        Assert.Equal(CredentialKind.Container, Plan("", "", null, all).Kind);
        Assert.Equal(CredentialKind.Container, Plan("", "", null, new() { ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/creds" }).Kind);
    }

    [Fact]
    public void Without_any_profile_and_with_instance_metadata_disabled_there_is_no_session()
    {
        var error = Failure("", "", null, new() { ["AWS_EC2_METADATA_DISABLED"] = "TRUE" });
        Assert.Equal(ErrorId.NoSession, error.ErrorId);
        Assert.Contains("AWS_EC2_METADATA_DISABLED", error.Message);
    }

    [Fact]
    public void A_profile_with_a_web_identity_token_file_and_a_role_assumes_that_role_with_the_token()
    {
        var plan = Plan("[profile eks]\nrole_arn = arn:aws:iam::111122223333:role/Pod\nweb_identity_token_file = /t\nrole_session_name = pod\n", "", "eks");
        Assert.Equal(CredentialKind.WebIdentity, plan.Kind);
        Assert.Empty(plan.Hops);
        Assert.Equal(new WebIdentitySource("/t", "arn:aws:iam::111122223333:role/Pod", "pod", "profile eks"), plan.Base.WebIdentity);
        Assert.Equal("WebIdentity arn:aws:iam::111122223333:role/Pod (profile eks)", plan.Describe());
    }

    [Fact]
    public void A_role_profile_on_a_web_identity_profile_is_a_chain()
    {
        var plan = Plan("[profile eks]\nrole_arn = arn:aws:iam::111122223333:role/Pod\nweb_identity_token_file = /t\n" +
            "[profile backup]\nrole_arn = arn:aws:iam::444455556666:role/Backup\nsource_profile = eks\n", "", "backup");
        Assert.Equal(CredentialKind.WebIdentity, plan.Base.Kind);
        Assert.Equal("arn:aws:iam::444455556666:role/Backup", Assert.Single(plan.Hops).RoleArn);
    }

    [Theory]
    [InlineData("[profile w]\nweb_identity_token_file = /t\n", "sets web_identity_token_file but no role_arn")]
    [InlineData("[profile w]\nrole_arn = nonsense\nweb_identity_token_file = /t\n", "has role_arn 'nonsense', which is not a role ARN")]
    public void A_web_identity_profile_without_a_usable_role_is_refused(string config, string expected) =>
        Assert.Contains(expected, Failure(config, "", "w").Message);

    [Fact]
    public void Sso_settings_win_over_keys_in_the_same_profile_as_in_botocore()
    {
        var plan = Plan("[profile both]\nsso_start_url = https://a/start\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = R\n",
            "[both]\n" + Keys, "both");
        Assert.Equal(CredentialKind.Sso, plan.Kind);
        Assert.Equal("R", plan.Base.Sso!.RoleName);
    }

    [Fact]
    public void An_explicit_profile_beats_aws_profile()
    {
        var variables = new Dictionary<string, string> { ["AWS_PROFILE"] = "other" };
        Assert.Equal("imap", Plan("", "[imap]\n" + Keys + "[other]\n" + Keys, "imap", variables).Base.ProfileName);
    }

    [Fact]
    public void Aws_config_file_selects_the_config_file()
    {
        using var folder = new ProfileFolder("", "[imap]\n" + Keys);
        var config = System.IO.Path.Combine(folder.Folder, "elsewhere.ini");
        var environment = new FixedEnvironment(new Dictionary<string, string>
        {
            ["AWS_SHARED_CREDENTIALS_FILE"] = folder.CredentialsPath,
            ["AWS_CONFIG_FILE"] = config,
        }, folder.Folder);
        Assert.Equal(new ProfileFiles(folder.CredentialsPath, config), ProfileFiles.Locate(environment));
    }

    [Fact]
    public void Default_files_live_under_the_home_folder()
    {
        var environment = new FixedEnvironment(new Dictionary<string, string>(), "/home/ops");
        Assert.Equal(new ProfileFiles("/home/ops/.aws/credentials", "/home/ops/.aws/config"), ProfileFiles.Locate(environment));
    }
}
