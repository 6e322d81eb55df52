using System;
using System.Globalization;
using System.Management.Automation;
using Amazon.Runtime;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>The AWS services this module talks to.</summary>
internal enum AwsService { S3, Sts, Iam, Sso, SsoOidc, S3Control }

/// <summary>The identifiers the shared endpoint settings use for each service (the SDKs' "service id" in snake case).</summary>
internal static class AwsServiceIds
{
    /// <summary>The key in a <c>[services NAME]</c> section, e.g. <c>sso_oidc</c>.</summary>
    public static string ConfigKey(this AwsService service) => service switch
    {
        AwsService.SsoOidc => "sso_oidc",
        AwsService.S3Control => "s3_control",
        _ => service.ToString().ToLowerInvariant(),
    };

    /// <summary>The suffix of <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, e.g. <c>SSO_OIDC</c>.</summary>
    public static string EnvironmentSuffix(this AwsService service) => service.ConfigKey().ToUpperInvariant();
}

/// <summary>What one client is built with. Every value traces back to a parameter, an environment variable or the profile.</summary>
internal sealed record ClientSettings(
    string Region,
    string? EndpointUrl,
    bool ForcePathStyle,
    RequestRetryMode? RetryMode,
    int? MaxAttempts,
    RequestChecksumCalculation? RequestChecksumCalculation,
    ResponseChecksumValidation? ResponseChecksumValidation)
{
    public void ApplyTo(ClientConfig config)
    {
        config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(Region);
        if (EndpointUrl is not null)
        {
            config.ServiceURL = EndpointUrl;
            config.AuthenticationRegion = Region;
        }
        if (RetryMode is { } retryMode)
        {
            config.RetryMode = retryMode;
        }
        if (MaxAttempts is { } attempts)
        {
            config.MaxErrorRetry = attempts - 1;
        }
        if (RequestChecksumCalculation is { } requestChecksum)
        {
            config.RequestChecksumCalculation = requestChecksum;
        }
        if (ResponseChecksumValidation is { } responseChecksum)
        {
            config.ResponseChecksumValidation = responseChecksum;
        }
    }
}

/// <summary>
/// Resolves client settings with the precedence the AWS SDKs document: an explicit parameter, then
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, <c>AWS_ENDPOINT_URL</c>, the profile's <c>services</c> section, the
/// profile's <c>endpoint_url</c>; environment variables before profile values for region, retries and checksums.
/// Unlike the SDK's own lookup (which only consults the default profile), this reads the profile in use.
/// </summary>
internal sealed class ClientSettingsResolver
{
    public const string FallbackRegion = "us-east-1";
    private readonly ProfileCatalog _catalog;
    private readonly IEnvironmentReader _environment;

    public ClientSettingsResolver(ProfileCatalog catalog, IEnvironmentReader environment)
    {
        _catalog = catalog;
        _environment = environment;
    }

    public ClientSettings Resolve(string? profileName, AwsService service, string? regionOverride, string? endpointOverride)
    {
        var profile = profileName is null ? null : _catalog.SdkProfile(profileName);
        var region = regionOverride
            ?? _environment.Get("AWS_REGION")
            ?? _environment.Get("AWS_DEFAULT_REGION")
            ?? profile?.Region?.SystemName
            ?? FallbackRegion;
        var endpoint = endpointOverride ?? ConfiguredEndpoint(profileName, profile?.Services, profileName is null ? null : _catalog.EndpointUrl(profileName), profile?.IgnoreConfiguredEndpointUrls, service);
        if (endpoint is not null && !AwsNames.IsEndpointUrl(endpoint))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"The endpoint '{endpoint}' is not an absolute URL such as https://s3.example.com or http://127.0.0.1:8000.", endpoint);
        }

        var addressing = profileName is null ? null : _catalog.NestedValue(profileName, "s3", "addressing_style");
        var forcePathStyle = addressing switch
        {
            "path" => true,
            "virtual" => false,
            // Custom endpoints (S3-compatible servers, local testing) rarely have wildcard DNS for bucket hosts.
            _ => endpoint is not null,
        };

        return new ClientSettings(
            region,
            endpoint,
            forcePathStyle,
            ParseEnum<RequestRetryMode>(_environment.Get("AWS_RETRY_MODE"), "AWS_RETRY_MODE") ?? profile?.RetryMode,
            ParsePositive(_environment.Get("AWS_MAX_ATTEMPTS"), "AWS_MAX_ATTEMPTS") ?? profile?.MaxAttempts,
            ParseEnum<RequestChecksumCalculation>(_environment.Get("AWS_REQUEST_CHECKSUM_CALCULATION"), "AWS_REQUEST_CHECKSUM_CALCULATION")
                ?? profile?.RequestChecksumCalculation,
            ParseEnum<ResponseChecksumValidation>(_environment.Get("AWS_RESPONSE_CHECKSUM_VALIDATION"), "AWS_RESPONSE_CHECKSUM_VALIDATION")
                ?? profile?.ResponseChecksumValidation);
    }

    private string? ConfiguredEndpoint(string? profileName, string? servicesName, string? profileEndpoint, bool? profileIgnores, AwsService service)
    {
        var ignore = ParseBool(_environment.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ?? profileIgnores ?? false;
        if (ignore)
        {
            return null;
        }
        var serviceKey = service.ConfigKey();
        return _environment.Get("AWS_ENDPOINT_URL_" + service.EnvironmentSuffix())
            ?? _environment.Get("AWS_ENDPOINT_URL")
            ?? (profileName is not null && servicesName is not null ? _catalog.ServicesValue(servicesName, serviceKey, "endpoint_url") : null)
            ?? profileEndpoint;
    }

    private static T? ParseEnum<T>(string? text, string variable) where T : struct
    {
        if (text is null)
        {
            return null;
        }
        return Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw BadVariable(variable, text, string.Join(", ", Enum.GetNames(typeof(T))).ToLowerInvariant());
    }

    private static int? ParsePositive(string? text, string variable)
    {
        if (text is null)
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw BadVariable(variable, text, "a whole number of at least 1");
    }

    private static bool? ParseBool(string? text, string variable)
    {
        if (text is null)
        {
            return null;
        }
        return bool.TryParse(text, out var value) ? value : throw BadVariable(variable, text, "true or false");
    }

    private static S3BackupException BadVariable(string variable, string value, string expected) =>
        new(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
            $"The environment variable {variable} is '{value}'; expected {expected}.", variable);
}
