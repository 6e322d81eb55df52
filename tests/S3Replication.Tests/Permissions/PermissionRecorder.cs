using System;
using System.Collections.Generic;
using System.Linq;
using Amazon.Runtime;
using Amazon.S3;
using S3Replication.Session;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Permissions;

/// <summary>
/// Listens to the S3 client of one or more sessions: every request the module sends is named (its SDK type) and mapped
/// to the IAM grants it needs (<see cref="RequestPermissions"/>), with the bucket names given placeholders
/// (arn:aws:s3:::&lt;backup-bucket&gt;/*). Each request also carries its grants in a header, so the stand-in can refuse the
/// requests that need one grant (<see cref="DenyingStandIn"/>) as AWS refuses a role without it.
/// </summary>
internal sealed class PermissionRecorder : IDisposable
{
    public const string GrantsHeader = "x-s3r-test-grants";

    private readonly IReadOnlyDictionary<string, string> _placeholders;
    private readonly List<(AmazonS3Client Client, RequestEventHandler Handler)> _hooks = new();
    private readonly List<(string Side, string Request, Grant Grant)> _seen = new();

    /// <param name="placeholders">Bucket name → placeholder, e.g. perm-backup → &lt;backup-bucket&gt;.</param>
    public PermissionRecorder(IReadOnlyDictionary<string, string> placeholders) => _placeholders = placeholders;

    /// <summary>Records the requests of <paramref name="session"/>'s S3 client under the name <paramref name="side"/>.</summary>
    public void Listen(AwsSession session, string side = "")
    {
        var client = (AmazonS3Client)session.S3;
        RequestEventHandler handler = (_, args) =>
        {
            if (args is not WebServiceRequestEventArgs { Request: { } request } web)
            {
                return;
            }
            var grants = RequestPermissions.For(request).Select(Placeholders).ToList();
            lock (_seen)
            {
                _seen.AddRange(grants.Select(grant => (side, request.GetType().Name, grant)));
            }
            web.Headers[GrantsHeader] = string.Join("|", grants.Select(grant => grant.Action + " " + grant.Resource));
        };
        client.BeforeRequestEvent += handler;
        _hooks.Add((client, handler));
    }

    /// <summary>The distinct grants the requests so far needed (of one side, where given).</summary>
    public IReadOnlySet<Grant> Grants(string? side = null)
    {
        lock (_seen)
        {
            return _seen.Where(entry => side is null || entry.Side == side).Select(entry => entry.Grant).ToHashSet();
        }
    }

    /// <summary>"ListObjectsV2Request → s3:ListBucket on …" for each distinct pair: what a failing assertion shows.</summary>
    public string Describe()
    {
        lock (_seen)
        {
            return string.Join("\n", _seen.Distinct().Select(entry => $"  [{entry.Side}] {entry.Request} → {entry.Grant}"));
        }
    }

    public void Clear()
    {
        lock (_seen)
        {
            _seen.Clear();
        }
    }

    private Grant Placeholders(Grant grant)
    {
        var resource = grant.Resource;
        foreach (var (bucket, placeholder) in _placeholders)
        {
            var arn = "arn:aws:s3:::" + bucket;
            if (resource == arn || resource.StartsWith(arn + "/", StringComparison.Ordinal))
            {
                resource = "arn:aws:s3:::" + placeholder + resource[arn.Length..];
                break;
            }
        }
        return grant with { Resource = resource };
    }

    /// <summary>The grants a request that reached the stand-in carried (none for requests of other clients).</summary>
    public static IReadOnlyList<Grant> Carried(LoggedRequest request) =>
        request.Header(GrantsHeader).Split('|', StringSplitOptions.RemoveEmptyEntries)
            .Select(text => text.Split(' ', 2)).Select(parts => new Grant(parts[0], parts[1])).ToList();

    public void Dispose()
    {
        foreach (var (client, handler) in _hooks)
        {
            client.BeforeRequestEvent -= handler;
        }
    }
}
