using System.Collections.Generic;
using Amazon.Runtime;
using S3Replication.Core;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class ClientSettingsResolverTests
{
    private const string Config =
        "[profile p]\nregion = eu-west-2\nendpoint_url = http://profile:1\nretry_mode = adaptive\nmax_attempts = 7\n" +
        "request_checksum_calculation = when_required\nresponse_checksum_validation = when_required\n" +
        "[profile svc]\nregion = eu-west-1\nservices = local\nendpoint_url = http://global:1\n" +
        "[services local]\ns3 =\n  endpoint_url = http://s3-only:1\n" +
        "[profile virtual]\nendpoint_url = http://x:1\ns3 =\n  addressing_style = virtual\n" +
        "[profile plain]\nregion = ap-south-1\n";

    private static ClientSettings Resolve(string? profile, AwsService service, Dictionary<string, string>? variables = null,
        string? region = null, string? endpoint = null)
    {
        using var folder = new ProfileFolder(Config, "", variables);
        return new ClientSettingsResolver(folder.Catalog(), folder.Environment).Resolve(profile, service, region, endpoint);
    }

    [Fact]
    public void Takes_every_client_setting_from_the_profile_in_use()
    {
        var settings = Resolve("p", AwsService.S3);
        Assert.Equal(new ClientSettings("eu-west-2", "http://profile:1", true, RequestRetryMode.Adaptive, 7,
            RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED), settings);
    }

    [Fact]
    public void Region_precedence_parameter_then_aws_region_then_default_region_then_profile()
    {
        var both = new Dictionary<string, string> { ["AWS_REGION"] = "us-west-1", ["AWS_DEFAULT_REGION"] = "us-west-2" };
        Assert.Equal("ca-central-1", Resolve("p", AwsService.S3, both, region: "ca-central-1").Region);
        Assert.Equal("us-west-1", Resolve("p", AwsService.S3, both).Region);
        Assert.Equal("us-west-2", Resolve("p", AwsService.S3, new() { ["AWS_DEFAULT_REGION"] = "us-west-2" }).Region);
        Assert.Equal("eu-west-2", Resolve("p", AwsService.S3).Region);
        Assert.Equal(ClientSettingsResolver.FallbackRegion, Resolve(null, AwsService.S3).Region);
    }

    [Fact]
    public void Endpoint_precedence_follows_the_aws_sdk_rules()
    {
        var variables = new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = "http://env-s3:1", ["AWS_ENDPOINT_URL"] = "http://env:1" };
        Assert.Equal("http://param:1", Resolve("p", AwsService.S3, variables, endpoint: "http://param:1").EndpointUrl);
        Assert.Equal("http://env-s3:1", Resolve("p", AwsService.S3, variables).EndpointUrl);
        Assert.Equal("http://env:1", Resolve("p", AwsService.Sts, variables).EndpointUrl);
        Assert.Equal("http://s3-only:1", Resolve("svc", AwsService.S3).EndpointUrl);
        // A service its services section does not name keeps the profile's own endpoint_url (the SDK's parsed profile drops it).
        Assert.Equal("http://global:1", Resolve("svc", AwsService.Sts).EndpointUrl);
        Assert.Equal("http://profile:1", Resolve("p", AwsService.Iam).EndpointUrl);
        Assert.Null(Resolve("plain", AwsService.S3).EndpointUrl);
    }

    [Fact]
    public void The_profile_listing_shows_the_endpoint_of_a_profile_that_also_names_a_services_section()
    {
        using var folder = new ProfileFolder(Config, "[svc]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n", null);
        Assert.Equal("http://global:1", ProfileLister.Describe(folder.Catalog(), "svc", SsoTokenCache.For(folder.Environment)).EndpointUrl);
    }

    [Fact]
    public void Configured_endpoints_can_be_ignored_but_not_an_explicit_one()
    {
        var ignore = new Dictionary<string, string> { ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true", ["AWS_ENDPOINT_URL"] = "http://env:1" };
        Assert.Null(Resolve("p", AwsService.S3, ignore).EndpointUrl);
        Assert.Equal("http://param:1", Resolve("p", AwsService.S3, ignore, endpoint: "http://param:1").EndpointUrl);
    }

    [Fact]
    public void Environment_beats_profile_for_checksums_and_retries()
    {
        var variables = new Dictionary<string, string>
        {
            ["AWS_REQUEST_CHECKSUM_CALCULATION"] = "when_supported", ["AWS_RESPONSE_CHECKSUM_VALIDATION"] = "WHEN_SUPPORTED",
            ["AWS_RETRY_MODE"] = "standard", ["AWS_MAX_ATTEMPTS"] = "3",
        };
        var settings = Resolve("p", AwsService.S3, variables);
        Assert.Equal((RequestChecksumCalculation.WHEN_SUPPORTED, ResponseChecksumValidation.WHEN_SUPPORTED, RequestRetryMode.Standard, 3),
            (settings.RequestChecksumCalculation, settings.ResponseChecksumValidation, settings.RetryMode, settings.MaxAttempts));
    }

    [Fact]
    public void Path_style_for_custom_endpoints_unless_the_profile_asks_for_virtual_hosts()
    {
        Assert.True(Resolve("p", AwsService.S3).ForcePathStyle);
        Assert.False(Resolve("virtual", AwsService.S3).ForcePathStyle);
        Assert.False(Resolve("plain", AwsService.S3).ForcePathStyle);
    }

    [Theory]
    [InlineData("AWS_MAX_ATTEMPTS", "zero")]
    [InlineData("AWS_RETRY_MODE", "legacyish")]
    [InlineData("AWS_REQUEST_CHECKSUM_CALCULATION", "never")]
    [InlineData("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes please")]
    public void A_bad_environment_value_is_named(string variable, string value)
    {
        var failure = Assert.Throws<S3BackupException>(() => Resolve("p", AwsService.S3, new() { [variable] = value }));
        Assert.Contains(variable, failure.Message);
        Assert.Contains(value, failure.Message);
    }

    [Fact]
    public void A_relative_endpoint_is_refused() =>
        Assert.Equal(ErrorId.InvalidArgument, Assert.Throws<S3BackupException>(() => Resolve("p", AwsService.S3, endpoint: "localhost:9000")).ErrorId);

    [Fact]
    public void Applies_settings_to_an_sdk_client_config()
    {
        var config = new Amazon.S3.AmazonS3Config();
        new ClientSettings("eu-west-2", "http://127.0.0.1:9", true, RequestRetryMode.Standard, 4,
            RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED).ApplyTo(config);
        Assert.Equal(("http://127.0.0.1:9", "eu-west-2", 3, RequestChecksumCalculation.WHEN_REQUIRED),
            (config.ServiceURL.TrimEnd('/'), config.AuthenticationRegion, config.MaxErrorRetry, config.RequestChecksumCalculation));
    }
}
