using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Management.Automation.Runspaces;
using S3Replication.Records;

namespace S3Replication.Session;

/// <summary>
/// Sessions per runspace: the default one set by Connect-S3Backup, and a cache so repeated cmdlets with the same
/// profile/region/endpoint reuse clients and role credentials. A cached session is rebuilt when the profile files
/// or the AWS_* variables that select credentials change.
/// </summary>
internal sealed class SessionStore
{
    private static readonly ConcurrentDictionary<Guid, SessionStore> ByRunspace = new();
    private static readonly string[] SelectingVariables =
    {
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_S3_CONTROL",
    };

    private readonly ConcurrentDictionary<string, AwsSession> _cache = new(StringComparer.Ordinal);

    /// <summary>The store of the runspace running on this thread (cmdlets call it on the pipeline thread).</summary>
    public static SessionStore ForCurrentRunspace()
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null)
        {
            return ByRunspace.GetOrAdd(Guid.Empty, _ => new SessionStore());
        }
        return ByRunspace.GetOrAdd(runspace.InstanceId, _ =>
        {
            // Runspaces come and go (ForEach-Object -Parallel, jobs): release their clients when they close.
            runspace.StateChanged += (_, change) =>
            {
                if (change.RunspaceStateInfo.State is RunspaceState.Closed or RunspaceState.Broken
                    && ByRunspace.TryRemove(runspace.InstanceId, out var closed))
                {
                    closed.Clear();
                }
            };
            return new SessionStore();
        });
    }

    public AwsSession? Default { get; private set; }

    public AwsSession GetOrCreate(SessionRequest request, IEnvironmentReader environment) =>
        _cache.GetOrAdd(CacheKey(request, environment), _ => SessionFactory.Create(request, environment));

    /// <summary>
    /// The session for a cmdlet's -ProfileName/-Region/-EndpointUrl: the default session where none is given, the
    /// default session's settings overridden by the ones given, or (with no default) the request alone.
    /// </summary>
    public AwsSession Resolve(SessionRequest request, IEnvironmentReader environment)
    {
        if (Default is not { } fallback)
        {
            return GetOrCreate(request, environment);
        }
        return request == SessionRequest.Empty
            ? fallback
            : GetOrCreate(new SessionRequest(
                request.ProfileName ?? fallback.Request.ProfileName,
                request.Region ?? fallback.Request.Region,
                request.EndpointUrl ?? fallback.Request.EndpointUrl), environment);
    }

    /// <summary>
    /// The session a record describes: the default session or a cached one with its profile, region and endpoint (so its
    /// role credentials and connections are reused), else one made from those settings.
    /// </summary>
    public AwsSession Find(S3BackupSession record, IEnvironmentReader environment)
    {
        bool Described(AwsSession session) => session.ProfileName == record.ProfileName && session.S3Settings.Region == record.Region
            && session.S3Settings.EndpointUrl == record.Endpoint;
        if (Default is { } fallback && Described(fallback))
        {
            return fallback;
        }
        return _cache.Values.FirstOrDefault(Described)
            ?? GetOrCreate(new SessionRequest(record.ProfileName, record.Region, record.Endpoint), environment);
    }

    /// <summary>Builds a fresh session (Connect-S3Backup re-reads profiles and re-assumes roles) and caches it.</summary>
    public AwsSession Replace(SessionRequest request, IEnvironmentReader environment)
    {
        var session = SessionFactory.Create(request, environment);
        _cache[CacheKey(request, environment)] = session;
        return session;
    }

    public void SetDefault(AwsSession session) => Default = session;

    public void Clear()
    {
        Default = null;
        foreach (var session in _cache.Values)
        {
            session.Dispose();
        }
        _cache.Clear();
    }

    private static string CacheKey(SessionRequest request, IEnvironmentReader environment)
    {
        var files = ProfileFiles.Locate(environment);
        var key = string.Join("\n", request.ProfileName, request.Region, request.EndpointUrl,
            Stamp(files.ConfigPath), Stamp(files.CredentialsPath));
        foreach (var variable in SelectingVariables)
        {
            key += "\n" + environment.Get(variable);
        }
        return key;
    }

    private static string Stamp(string path) => File.Exists(path) ? path + "@" + File.GetLastWriteTimeUtc(path).Ticks : path;
}
