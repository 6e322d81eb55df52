using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using S3Replication.Core;
using S3Replication.Records;


namespace S3Replication.Session;

/// <summary>What a cmdlet asked for; the cache key for sessions within a runspace.</summary>
internal sealed record SessionRequest(string? ProfileName, string? Region, string? EndpointUrl)
{
    public static readonly SessionRequest Empty = new(null, null, null);
}

internal sealed record CallerIdentity(string? Account, string? Arn, string Source);

/// <summary>
/// Resolved credentials plus the clients built from them. One per profile/region/endpoint per runspace, so every
/// cmdlet reuses the same connections and role credentials (renewed before they expire).
/// </summary>
internal sealed class AwsSession : IDisposable
{
    private static readonly TimeSpan RetiredClientLifetime = TimeSpan.FromSeconds(30);
    private readonly object _s3Lock = new();
    private (Lazy<LeanS3Client> Client, SessionHttpClientFactory? Pool) _s3;
    private readonly Lazy<AmazonSecurityTokenServiceClient> _sts;
    private readonly Lazy<IamClient> _iam;
    private CallerIdentity? _identity;

    public AwsSession(SessionRequest request, string? profileName, CredentialPlan plan, AWSCredentials credentials,
        ClientSettings s3Settings, ClientSettings stsSettings, ClientSettings iamSettings, HttpClientFactory? httpClientFactory,
        IdentityCenterClients identityCenter)
    {
        IdentityCenter = identityCenter;
        Request = request;
        ProfileName = profileName;
        Plan = plan;
        Credentials = credentials;
        S3Settings = s3Settings;
        StsSettings = stsSettings;
        IamSettings = iamSettings;
        HttpClientFactory = httpClientFactory;
        _s3 = NewS3Client();
        _sts = new Lazy<AmazonSecurityTokenServiceClient>(() => new AmazonSecurityTokenServiceClient(Credentials, StsConfig(stsSettings, httpClientFactory)));
        _iam = new Lazy<IamClient>(() => new IamClient(Credentials, iamSettings));
    }

    public SessionRequest Request { get; }
    public string? ProfileName { get; }
    public CredentialPlan Plan { get; }
    public AWSCredentials Credentials { get; }
    public ClientSettings S3Settings { get; }
    public ClientSettings StsSettings { get; }
    public ClientSettings IamSettings { get; }
    public HttpClientFactory? HttpClientFactory { get; }

    /// <summary>S3 Control (Batch Operations): region and endpoint; the client is made per call, for the job's own region.</summary>
    public ClientSettings? S3ControlSettings { get; init; }

    /// <summary>Where this session signs in when its chain starts at an IAM Identity Center profile.</summary>
    public IdentityCenterClients IdentityCenter { get; }

    public IAmazonS3 S3 => _s3.Client.Value;

    /// <summary>A new S3 client with its own connection pool (tests give their recording factory instead).</summary>
    private (Lazy<LeanS3Client> Client, SessionHttpClientFactory? Pool) NewS3Client()
    {
        var pool = HttpClientFactory is null ? new SessionHttpClientFactory() : null;
        return (new Lazy<LeanS3Client>(() =>
        {
            var client = new LeanS3Client(Credentials, S3Config(S3Settings, HttpClientFactory ?? pool));
            client.ExceptionEvent += S3Permissions.Mark;
            return client;
        }), pool);
    }

    /// <summary>
    /// After a stopped cmdlet (Ctrl+C): requests cancelled in flight can leave pooled connections that fail the next
    /// request on them, so later cmdlets get a new client and pool. The old client is disposed once its cancelled
    /// requests have had time to unwind.
    /// </summary>
    public void DiscardConnections()
    {
        (Lazy<LeanS3Client> Client, SessionHttpClientFactory? Pool) retired;
        lock (_s3Lock)
        {
            retired = _s3;
            _s3 = NewS3Client();
        }
        _ = Task.Delay(RetiredClientLifetime).ContinueWith(_ => Dispose(retired), TaskScheduler.Default);
    }
    public IAmazonSecurityTokenService Sts => _sts.Value;
    public IamClient Iam => _iam.Value;

    public static AmazonS3Config S3Config(ClientSettings settings, HttpClientFactory? httpClientFactory)
    {
        var config = new AmazonS3Config { ForcePathStyle = settings.ForcePathStyle };
        settings.ApplyTo(config);
        if (httpClientFactory is not null)
        {
            config.HttpClientFactory = httpClientFactory;
        }
        return config;
    }

    public static AmazonSecurityTokenServiceConfig StsConfig(ClientSettings settings, HttpClientFactory? httpClientFactory)
    {
        var config = new AmazonSecurityTokenServiceConfig();
        settings.ApplyTo(config);
        if (httpClientFactory is not null)
        {
            config.HttpClientFactory = httpClientFactory;
        }
        return config;
    }

    /// <summary>Obtains credentials now (assuming every role in the chain) so a bad profile fails at connect time.</summary>
    public Task EnsureCredentialsAsync() => Credentials.GetCredentialsAsync();

    public DateTime? Expiration => Credentials switch
    {
        AssumeRoleCredentials role => role.ExpiresAtUtc?.ToLocalTime(),
        SsoRoleCredentials sso => sso.ExpiresAtUtc?.ToLocalTime(),
        WebIdentityCredentials web => web.ExpiresAtUtc?.ToLocalTime(),
        RefreshingAWSCredentials refreshing => refreshing.Expiration?.ToLocalTime(),
        _ => null,
    };

    /// <summary>
    /// Who the session acts as. STS GetCallerIdentity where the endpoint has it; otherwise the assumed-role ARN
    /// STS returned; otherwise unknown (Ceph RGW, for one, answers GetCallerIdentity with 405).
    /// </summary>
    public async Task<CallerIdentity> GetIdentityAsync(CancellationToken cancellationToken)
    {
        if (_identity is not null)
        {
            return _identity;
        }
        try
        {
            var response = await Sts.GetCallerIdentityAsync(new GetCallerIdentityRequest(), cancellationToken).ConfigureAwait(false);
            _identity = new CallerIdentity(response.Account, response.Arn, "GetCallerIdentity");
        }
        catch (AmazonServiceException error) when (error.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented or HttpStatusCode.NotFound
            || error.ErrorCode is "InvalidAction" or "NotImplemented" or "MethodNotAllowed")
        {
            var assumed = (Credentials as AssumeRoleCredentials)?.AssumedRoleArn ?? (Credentials as WebIdentityCredentials)?.AssumedRoleArn;
            _identity = assumed is null
                ? new CallerIdentity(null, null, "Unknown")
                : new CallerIdentity(AwsNames.AccountOf(assumed), assumed, "AssumeRole");
        }
        return _identity;
    }

    /// <summary>The identity if already known, without a network call.</summary>
    public CallerIdentity? KnownIdentity => _identity;

    public S3BackupSession ToRecord(bool isDefault) => new()
    {
        ProfileName = ProfileName,
        Region = S3Settings.Region,
        Endpoint = S3Settings.EndpointUrl,
        CredentialKind = Plan.Kind.ToString(),
        RoleArn = Plan.RoleArn,
        Account = _identity?.Account,
        Arn = _identity?.Arn,
        IdentitySource = _identity?.Source ?? "Unknown",
        Expiration = Expiration,
        CredentialChain = Plan.Describe(),
        IsDefault = isDefault,
    };

    private static void Dispose((Lazy<LeanS3Client> Client, SessionHttpClientFactory? Pool) s3)
    {
        if (s3.Client.IsValueCreated)
        {
            s3.Client.Value.Dispose();
        }
        s3.Pool?.Dispose();
    }

    public void Dispose()
    {
        Dispose(_s3);
        if (_sts.IsValueCreated)
        {
            _sts.Value.Dispose();
        }
        if (_iam.IsValueCreated)
        {
            _iam.Value.Dispose();
        }
    }
}
