using Amazon.Runtime;
using Amazon.SecurityToken;

namespace S3Replication.Session;

/// <summary>Profiles → plan → credentials → session, with the files and environment given (tests give their own).</summary>
internal static class SessionFactory
{
    public static AwsSession Create(SessionRequest request, IEnvironmentReader environment, HttpClientFactory? httpClientFactory = null)
    {
        var catalog = ProfileCatalog.Load(ProfileFiles.Locate(environment));
        var resolver = new ProfileResolver(catalog, environment);
        var plan = resolver.Plan(request.ProfileName);
        var profileName = resolver.SelectProfile(request.ProfileName);
        var settings = new ClientSettingsResolver(catalog, environment);
        var s3 = settings.Resolve(profileName, AwsService.S3, request.Region, request.EndpointUrl);
        var sts = settings.Resolve(profileName, AwsService.Sts, request.Region, request.EndpointUrl);
        var iam = settings.Resolve(profileName, AwsService.Iam, request.Region, request.EndpointUrl);
        // -EndpointUrl names the S3 endpoint; S3 Control has its own settings (AWS_ENDPOINT_URL_S3_CONTROL, services s3_control).
        var s3Control = settings.Resolve(profileName, AwsService.S3Control, request.Region, endpointOverride: null);

        var identityCenter = new IdentityCenterClients(settings, profileName, SsoTokenCache.For(environment), httpClientFactory);
        var builder = new CredentialBuilder(catalog, environment,
            source => new AmazonSecurityTokenServiceClient(source, AwsSession.StsConfig(sts, httpClientFactory)),
            () => Invocation.CurrentPrompt, identityCenter);
        return new AwsSession(request, profileName, plan, builder.Build(plan), s3, sts, iam, httpClientFactory, identityCenter) { S3ControlSettings = s3Control };
    }
}
