using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using S3Replication.Session;

namespace S3Replication.Tests.Support;

/// <summary>One version of a key in a <see cref="LoopbackBucket"/>: an object (with or without its bytes) or a delete marker.</summary>
internal sealed record StoredVersion
{
    public required string Key { get; init; }

    /// <summary>"null" in a bucket that was never versioned, as S3 lists it.</summary>
    public required string VersionId { get; init; }
    public required DateTime LastModified { get; init; }
    public bool IsDeleteMarker { get; init; }

    /// <summary>The bytes, or null for an object planted by size alone (listed and HEADed, never read).</summary>
    public byte[]? Content { get; init; }
    public long Size { get; init; }

    /// <summary>Quoted, as S3 sends it.</summary>
    public string ETag { get; init; } = "";
    public string StorageClass { get; init; } = "STANDARD";

    /// <summary>The x-amz-restore header of an archived object: ongoing-request="true", or ="false" with an expiry (a restored copy).</summary>
    public string? Restore { get; init; }

    /// <summary>x-amz-server-side-encryption (AES256, aws:kms), or null.</summary>
    public string? Encryption { get; init; }

    /// <summary>The additional CRC32 checksum (base64), returned by HEAD and GET with x-amz-checksum-mode: ENABLED.</summary>
    public string? ChecksumCrc32 { get; init; }

    /// <summary>Archived (Glacier, Deep Archive) without a restored copy: GET and CopyObject answer 403 InvalidObjectState.</summary>
    public bool Unreadable => StorageClass is "GLACIER" or "DEEP_ARCHIVE" && Restore?.Contains("ongoing-request=\"false\"", StringComparison.Ordinal) != true;
}

/// <summary>A bucket of the stand-in: keys with their versions, newest first; versioned or not; the buckets it replicates to.</summary>
internal sealed class LoopbackBucket
{
    private readonly LoopbackS3 _server;
    private readonly Dictionary<string, List<StoredVersion>> _keys = new(StringComparer.Ordinal);

    internal LoopbackBucket(LoopbackS3 server, string name, bool versioned)
    {
        _server = server;
        Name = name;
        Versioned = versioned;
    }

    public string Name { get; }
    public bool Versioned { get; }

    /// <summary>Destination buckets of this bucket's replication rules (GetBucketReplication); none: 404 ReplicationConfigurationNotFoundError.</summary>
    public List<string> ReplicatesTo { get; } = new();

    /// <summary>The account the rules' destinations name (Destination/Account), where set.</summary>
    public string? ReplicatesToAccount { get; set; }

    /// <summary>
    /// The bucket's owner: a request whose x-amz-expected-bucket-owner (or, for a copy's source, x-amz-source-expected-bucket-owner)
    /// names another account is refused with 403 AccessDenied, as S3 refuses it.
    /// </summary>
    public string Owner { get; set; } = LoopbackS3.DefaultAccount;

    /// <summary>The Object Ownership setting GetBucketOwnershipControls answers (BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter); null: none set (404).</summary>
    public string? Ownership { get; set; }

    /// <summary>Plants an object with these bytes (ETag: their MD5 unless given).</summary>
    public StoredVersion Put(string key, string text, string storageClass = "STANDARD", string? restore = null, string? encryption = null,
        string? etag = null, string? crc32 = null)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return Add(new StoredVersion
        {
            Key = key, VersionId = NewVersionId(), LastModified = _server.NextPlantedTime(), Content = content, Size = content.Length,
            ETag = etag is null ? LoopbackS3.Md5ETag(content) : $"\"{etag}\"", StorageClass = storageClass, Restore = restore, Encryption = encryption,
            ChecksumCrc32 = crc32,
        });
    }

    /// <summary>Plants an object by its size alone: listed and HEADed with that size, never read (e.g. above 5 GiB).</summary>
    public StoredVersion PutSized(string key, long size, string storageClass = "STANDARD") => Add(new StoredVersion
    {
        Key = key, VersionId = NewVersionId(), LastModified = _server.NextPlantedTime(), Size = size,
        ETag = $"\"{Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(key + size))).ToLowerInvariant()}-{size / (512L << 20) + 1}\"",
        StorageClass = storageClass,
    });

    /// <summary>Deletes the key as S3 does without a version id: a delete marker where versioned, else the object is gone.</summary>
    public StoredVersion? Delete(string key) => Delete(key, _server.NextPlantedTime());

    /// <summary>The versions of a key, newest first (delete markers included).</summary>
    public IReadOnlyList<StoredVersion> Versions(string key)
    {
        lock (_keys)
        {
            return _keys.TryGetValue(key, out var versions) ? versions.ToList() : new List<StoredVersion>();
        }
    }

    /// <summary>The keys whose newest version is an object, in S3's order.</summary>
    public IReadOnlyList<string> CurrentKeys()
    {
        lock (_keys)
        {
            return _keys.Where(entry => !entry.Value[0].IsDeleteMarker).Select(entry => entry.Key).OrderBy(key => key, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Every version of every key, keys in S3's order, each key's newest first.</summary>
    internal IReadOnlyList<StoredVersion> AllVersions()
    {
        lock (_keys)
        {
            return _keys.OrderBy(entry => entry.Key, StringComparer.Ordinal).SelectMany(entry => entry.Value).ToList();
        }
    }

    /// <summary>The version asked for, or the newest; null when there is none.</summary>
    internal StoredVersion? Find(string key, string? versionId)
    {
        lock (_keys)
        {
            if (!_keys.TryGetValue(key, out var versions))
            {
                return null;
            }
            return versionId is null ? versions[0] : versions.FirstOrDefault(version => version.VersionId == versionId);
        }
    }

    internal StoredVersion Add(StoredVersion version)
    {
        lock (_keys)
        {
            if (!_keys.TryGetValue(version.Key, out var versions))
            {
                _keys[version.Key] = versions = new List<StoredVersion>();
            }
            if (!Versioned)
            {
                versions.Clear();
            }
            versions.Insert(0, version);
            return version;
        }
    }

    internal StoredVersion? Delete(string key, DateTime when)
    {
        if (Versioned)
        {
            return Add(new StoredVersion { Key = key, VersionId = NewVersionId(), LastModified = when, IsDeleteMarker = true });
        }
        lock (_keys)
        {
            _keys.Remove(key);
            return null;
        }
    }

    internal StoredVersion? DeleteVersion(string key, string versionId)
    {
        lock (_keys)
        {
            if (!_keys.TryGetValue(key, out var versions) || versions.FirstOrDefault(version => version.VersionId == versionId) is not { } found)
            {
                return null;
            }
            versions.Remove(found);
            if (versions.Count == 0)
            {
                _keys.Remove(key);
            }
            return found;
        }
    }

    internal string NewVersionId() => Versioned ? _server.NextVersionId() : "null";

    /// <summary>Puts <paramref name="changed"/> in the place of <paramref name="version"/> (same key and version id: a change of its state, such as a restore from archive).</summary>
    internal void Replace(StoredVersion version, StoredVersion changed)
    {
        lock (_keys)
        {
            var versions = _keys[version.Key];
            versions[versions.IndexOf(version)] = changed;
        }
    }
}

/// <summary>How a request of the stand-in ended.</summary>
internal enum RequestEnd
{
    /// <summary>Still being served.</summary>
    Running,

    /// <summary>The response was written whole.</summary>
    Completed,

    /// <summary>The client went away (cancelled) before the response was written: nothing of it took effect.</summary>
    Aborted,

    /// <summary>The stand-in itself failed (a bug of the stand-in; the test should say so).</summary>
    Faulted,
}

/// <summary>One request the stand-in received: when (on <see cref="LoopbackS3.Now"/>'s clock), what, and how it ended.</summary>
internal sealed class LoggedRequest
{
    public required long Number { get; init; }
    public required TimeSpan Arrived { get; init; }
    public required string Method { get; init; }

    /// <summary>Percent-decoded path: /bucket/key.</summary>
    public required string Path { get; init; }
    public required IReadOnlyDictionary<string, string> Query { get; init; }

    /// <summary>Header names in lower case.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }
    public string Operation { get; set; } = "";
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public TimeSpan? Ended { get; set; }
    public RequestEnd End { get; set; }
    public int Status { get; set; }
    public string? Fault { get; set; }

    /// <summary>A request that changes something: the IAM and STS reads (GetRole, GetCallerIdentity) are POSTs too, but are not.</summary>
    public bool IsWrite => Method is "PUT" or "POST" or "DELETE" && Operation != "Iam";

    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";

    public override string ToString() => $"#{Number} {Method} {Path}{(Query.Count > 0 ? "?" + string.Join("&", Query.Select(pair => pair.Key + "=" + pair.Value)) : "")} " +
        $"[{Operation}] {End} {Status} at {Arrived.TotalMilliseconds:F0}–{Ended?.TotalMilliseconds:F0} ms";
}

/// <summary>A copy that took effect: the object the CopyObject read and the version it created.</summary>
internal sealed record CommittedCopy(string SourceBucket, string SourceKey, string SourceVersionId, string Bucket, string Key, string VersionId, TimeSpan At);

/// <summary>A Batch Operations job created at the stand-in's S3 Control endpoint: its id and the CreateJob body as sent.</summary>
internal sealed record CreatedJob(string JobId, XElement Request);

/// <summary>
/// An in-process S3 for tests: Kestrel on 127.0.0.1 at a free port, path-style, no signature checks, speaking S3's wire
/// format (element and header names as in botocore's S3 model) for what restores, compares, downloads and Batch restore
/// plans send: ListObjectsV2, ListObjectVersions, HeadObject, GetObject, CopyObject, PutObject, DeleteObject,
/// GetBucketReplication (404 ReplicationConfigurationNotFoundError when none, as AWS answers), GetBucketVersioning,
/// GetBucketLocation, RestoreObject (archived versions); and, for Start-S3BackupBatchRestore, IAM GetRole and S3 Control CreateJob/DescribeJob on the same
/// port. Anything else answers 501 NotImplemented (and is logged), so a test sees what the stand-in does not cover.
/// </summary>
/// <remarks>
/// Every request is logged with when it arrived and ended and how (<see cref="RequestEnd"/>); <see cref="InFlight"/>
/// counts requests from arrival until their response is written whole. <see cref="Latency"/> delays a request before
/// it takes effect; a client that hangs up meanwhile (a cancelled request) aborts it, and it changes nothing — Kestrel
/// notices a closed connection (RequestAborted), which System.Net.HttpListener cannot. So a copy counts in
/// <see cref="Copies"/> only if it was carried out, and a stopped client leaves no request running here.
/// </remarks>
internal sealed class LoopbackS3 : IDisposable
{
    public static readonly XNamespace S3Ns = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static readonly XNamespace IamNs = "https://iam.amazonaws.com/doc/2010-05-08/";
    private static readonly XNamespace StsNs = "https://sts.amazonaws.com/doc/2011-06-15/";
    private static readonly XNamespace ControlNs = "http://awss3control.amazonaws.com/doc/2018-08-20/";

    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, LoopbackBucket> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _roles = new(StringComparer.Ordinal);
    private readonly List<LoggedRequest> _log = new();
    private readonly List<CommittedCopy> _copies = new();
    private readonly List<CreatedJob> _jobs = new();
    private readonly DateTime _plantedFrom = Truncated(DateTime.UtcNow.AddHours(-2));
    private long _versions;
    private long _planted;
    private long _requests;
    private int _inFlight;
    private ProfileFolder? _profile;
    private AwsSession? _session;

    private LoopbackS3()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0);
            options.Limits.MaxRequestBodySize = null;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Endpoint = new Uri(address);
    }

    public static LoopbackS3 Start()
    {
        // The stand-in shares the process's thread pool with the client under test. In a cold test process the client's
        // first requests can hold every pool thread (JIT, type initialisation) for over half a second, and the stand-in's
        // timers and answers would wait for them: a latency of 100 ms became 700 ms (measured). Enough threads up front
        // keep the stand-in's timing its own.
        ThreadPool.GetMinThreads(out var workers, out var completions);
        if (workers < 64)
        {
            ThreadPool.SetMinThreads(64, completions);
        }
        return new LoopbackS3();
    }

    /// <summary>http://127.0.0.1:port</summary>
    public Uri Endpoint { get; }

    /// <summary>The stand-in's clock, which every logged time is on.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>How long a request waits before it takes effect, by operation name (CopyObject, GetObject…) and key; none by default.</summary>
    public Func<string, string, TimeSpan>? Latency { get; set; }

    /// <summary>A request this returns true for is answered 403 AccessDenied, as AWS answers an identity without the permission; none by default.</summary>
    public Func<LoggedRequest, bool>? Deny { get; set; }

    /// <summary>The most keys a listing page holds (S3: 1,000), so tests can make listings take several pages.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Requests received so far.</summary>
    public long Started => Interlocked.Read(ref _requests);

    /// <summary>Requests received whose response has not been written whole (nor their client gone).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public IReadOnlyList<LoggedRequest> Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToList();
            }
        }
    }

    public IReadOnlyList<CommittedCopy> Copies
    {
        get
        {
            lock (_copies)
            {
                return _copies.ToList();
            }
        }
    }

    public IReadOnlyList<CreatedJob> Jobs
    {
        get
        {
            lock (_jobs)
            {
                return _jobs.ToList();
            }
        }
    }

    /// <summary>Forgets the requests and copies so far (the stored objects stay).</summary>
    public void ClearLog()
    {
        lock (_log)
        {
            _log.Clear();
        }
        lock (_copies)
        {
            _copies.Clear();
        }
    }

    /// <summary>The account buckets belong to unless set otherwise.</summary>
    public const string DefaultAccount = "111122223333";

    /// <summary>The account STS GetCallerIdentity answers with; null: the stand-in does not answer it (as Ceph RGW), so the caller's account is not known.</summary>
    public string? CallerAccount { get; set; }

    public LoopbackBucket AddBucket(string name, bool versioned = true)
    {
        var bucket = new LoopbackBucket(this, name, versioned);
        lock (_buckets)
        {
            _buckets.Add(name, bucket);
        }
        return bucket;
    }

    public LoopbackBucket Bucket(string name)
    {
        lock (_buckets)
        {
            return _buckets[name];
        }
    }

    /// <summary>An IAM role GetRole answers with this trust policy (JSON).</summary>
    public void AddRole(string roleName, string trustPolicy) => _roles[roleName] = trustPolicy;

    /// <summary>
    /// A session whose profile points at this stand-in: endpoint_url, checksums only when required (as any S3-compatible
    /// server needs), static keys. Made once; disposed with the stand-in.
    /// </summary>
    public AwsSession Session()
    {
        if (_session is null)
        {
            _profile = new ProfileFolder(
                "[profile loopback]\nregion = us-east-1\n" +
                $"endpoint_url = {Endpoint.GetLeftPart(UriPartial.Authority)}\n" +
                "request_checksum_calculation = when_required\nresponse_checksum_validation = when_required\n",
                "[loopback]\naws_access_key_id = AKIALOOPBACKTEST\naws_secret_access_key = loopback-secret\n");
            _session = SessionFactory.Create(new SessionRequest("loopback", null, null), _profile.Environment);
        }
        return _session;
    }

    /// <summary>Waits until no request is in flight; false if some still are after <paramref name="timeout"/>.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = Now + timeout;
        while (InFlight > 0)
        {
            if (Now > deadline)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    public static string Md5ETag(byte[] content) => $"\"{Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant()}\"";

    internal string NextVersionId() => "v" + Interlocked.Increment(ref _versions).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Planted versions get whole seconds, one after another, in the past: newer versions are later.</summary>
    internal DateTime NextPlantedTime() => _plantedFrom.AddSeconds(Interlocked.Increment(ref _planted));

    private static DateTime Truncated(DateTime time) => new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private LoopbackBucket? BucketOrNull(string name)
    {
        lock (_buckets)
        {
            return _buckets.TryGetValue(name, out var bucket) ? bucket : null;
        }
    }

    // ---- serving ----

    private async Task HandleAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var entry = new LoggedRequest
        {
            Number = Interlocked.Increment(ref _requests),
            Arrived = Now,
            Method = context.Request.Method,
            Path = Uri.UnescapeDataString(question < 0 ? target : target[..question]),
            Query = ParseQuery(question < 0 ? "" : target[(question + 1)..]),
            Headers = context.Request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString()),
        };
        Interlocked.Increment(ref _inFlight);
        lock (_log)
        {
            _log.Add(entry);
        }
        var aborted = context.RequestAborted;
        try
        {
            Classify(entry);
            if (Latency?.Invoke(entry.Operation, entry.Key) is { } latency && latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, aborted);
            }
            aborted.ThrowIfCancellationRequested();
            if (Deny?.Invoke(entry) == true)
            {
                await ErrorAsync(context, 403, "AccessDenied", "Access Denied");
            }
            else
            {
                await ServeAsync(context, entry, aborted);
            }
            await context.Response.CompleteAsync();
            entry.End = RequestEnd.Completed;
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            entry.End = RequestEnd.Aborted;
        }
        catch (Exception error)
        {
            entry.End = RequestEnd.Faulted;
            entry.Fault = error.ToString();
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 500;
            }
        }
        finally
        {
            entry.Status = context.Response.StatusCode;
            entry.Ended = Now;
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static Dictionary<string, string> ParseQuery(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .GroupBy(parts => Uri.UnescapeDataString(parts[0]), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Last() is { Length: 2 } parts ? Uri.UnescapeDataString(parts[1]) : "", StringComparer.Ordinal);

    /// <summary>Names the operation (as botocore's model does) and its bucket and key, from the method, path and query.</summary>
    private static void Classify(LoggedRequest entry)
    {
        if (entry.Path == "/" && entry.Method == "POST")
        {
            entry.Operation = "Iam";
            return;
        }
        if (entry.Path.StartsWith("/v20180820/jobs", StringComparison.Ordinal))
        {
            entry.Operation = entry.Method == "POST" && entry.Path == "/v20180820/jobs" ? "CreateJob" : entry.Method == "GET" ? "DescribeJob" : "S3Control";
            entry.Key = entry.Path.Length > "/v20180820/jobs/".Length ? entry.Path["/v20180820/jobs/".Length..] : "";
            return;
        }
        var trimmed = entry.Path.TrimStart('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        entry.Bucket = slash < 0 ? trimmed : trimmed[..slash];
        entry.Key = slash < 0 ? "" : trimmed[(slash + 1)..];
        var query = entry.Query;
        // Sub-resources the stand-in does not serve (multipart uploads, tags, ACLs, Glacier restores…) make a request unsupported.
        var subresource = query.Keys.Any(name => ObjectSubresources.Contains(name));
        entry.Operation = (entry.Method, entry.Key.Length > 0) switch
        {
            ("GET", false) when query.ContainsKey("list-type") => "ListObjectsV2",
            ("GET", false) when query.ContainsKey("versions") => "ListObjectVersions",
            ("GET", false) when query.ContainsKey("replication") => "GetBucketReplication",
            ("GET", false) when query.ContainsKey("versioning") => "GetBucketVersioning",
            ("GET", false) when query.ContainsKey("location") => "GetBucketLocation",
            ("GET", false) when query.ContainsKey("ownershipControls") => "GetBucketOwnershipControls",
            ("HEAD", false) when query.Count == 0 => "HeadBucket",
            ("POST", true) when query.ContainsKey("restore") && !query.ContainsKey("select") => "RestoreObject",
            (_, true) when subresource => "Unsupported",
            ("HEAD", true) => "HeadObject",
            ("GET", true) => "GetObject",
            ("PUT", true) when entry.Headers.ContainsKey("x-amz-copy-source") => "CopyObject",
            ("PUT", true) => "PutObject",
            ("DELETE", true) => "DeleteObject",
            _ => "Unsupported",
        };
    }

    private static readonly HashSet<string> ObjectSubresources = new(StringComparer.Ordinal)
    {
        "uploads", "uploadId", "partNumber", "tagging", "acl", "restore", "retention", "legal-hold", "attributes", "torrent", "select",
    };

    private Task ServeAsync(HttpContext context, LoggedRequest entry, CancellationToken aborted)
    {
        switch (entry.Operation)
        {
            case "Iam":
                return IamAsync(context);
            case "CreateJob":
                return CreateJobAsync(context);
            case "DescribeJob":
                return DescribeJobAsync(context, entry.Key);
            case "Unsupported" or "S3Control":
                return ErrorAsync(context, 501, "NotImplemented", $"The loopback stand-in does not serve {entry.Method} {entry.Path} with this query.");
        }
        if (BucketOrNull(entry.Bucket) is not { } bucket)
        {
            return ErrorAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist", ("BucketName", entry.Bucket));
        }
        if (entry.Header("x-amz-expected-bucket-owner") is { Length: > 0 } expected && expected != bucket.Owner)
        {
            return ErrorAsync(context, 403, "AccessDenied", "Access Denied");
        }
        var versionId = entry.Query.TryGetValue("versionId", out var id) ? id : null;
        return entry.Operation switch
        {
            "ListObjectsV2" => ListObjectsV2Async(context, bucket, entry.Query),
            "ListObjectVersions" => ListObjectVersionsAsync(context, bucket, entry.Query),
            "GetBucketReplication" => ReplicationAsync(context, bucket),
            "GetBucketVersioning" => XmlAsync(context, new XElement(S3Ns + "VersioningConfiguration", bucket.Versioned ? new XElement(S3Ns + "Status", "Enabled") : null)),
            "GetBucketLocation" => XmlAsync(context, new XElement(S3Ns + "LocationConstraint")),
            "HeadBucket" => Task.CompletedTask,
            "GetBucketOwnershipControls" => bucket.Ownership is { } ownership
                ? XmlAsync(context, new XElement(S3Ns + "OwnershipControls", new XElement(S3Ns + "Rule", new XElement(S3Ns + "ObjectOwnership", ownership))))
                : ErrorAsync(context, 404, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
            "HeadObject" => ObjectAsync(context, bucket, entry, versionId, withBody: false),
            "GetObject" => ObjectAsync(context, bucket, entry, versionId, withBody: true),
            "CopyObject" => CopyAsync(context, bucket, entry),
            "PutObject" => PutAsync(context, bucket, entry, aborted),
            "RestoreObject" => RestoreAsync(context, bucket, entry, versionId),
            _ => DeleteAsync(context, bucket, entry, versionId),
        };
    }

    private static Task XmlAsync(HttpContext context, XElement body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body.ToString(SaveOptions.DisableFormatting));
    }

    /// <summary>S3's error document (no body for HEAD, as S3 sends none).</summary>
    private static Task ErrorAsync(HttpContext context, int status, string code, string message, params (string Name, string Value)[] details)
    {
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        return XmlAsync(context, new XElement("Error", new XElement("Code", code), new XElement("Message", message),
            details.Select(detail => new XElement(detail.Name, detail.Value)), new XElement("RequestId", "LOOPBACK")), status);
    }

    private static string Timestamp(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string EncodeIf(bool url, string value) => url ? string.Join("/", value.Split('/').Select(Uri.EscapeDataString)) : value;

    private static XElement? Checksum(StoredVersion version) =>
        version.ChecksumCrc32 is null ? null : new XElement(S3Ns + "ChecksumAlgorithm", "CRC32");

    private Task ListObjectsV2Async(HttpContext context, LoopbackBucket bucket, IReadOnlyDictionary<string, string> query)
    {
        var prefix = query.GetValueOrDefault("prefix", "");
        var url = query.GetValueOrDefault("encoding-type") == "url";
        var maxKeys = Math.Min(int.Parse(query.GetValueOrDefault("max-keys", "1000"), CultureInfo.InvariantCulture), PageSize);
        var after = query.TryGetValue("continuation-token", out var token)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(token))
            : query.GetValueOrDefault("start-after", "");
        var matching = bucket.CurrentKeys()
            .Where(key => key.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(key, after) > 0)
            .Select(key => bucket.Find(key, null)!)
            .Take(maxKeys + 1)
            .ToList();
        var page = matching.Take(maxKeys).ToList();
        var truncated = matching.Count > maxKeys;
        return XmlAsync(context, new XElement(S3Ns + "ListBucketResult",
            new XElement(S3Ns + "Name", bucket.Name),
            new XElement(S3Ns + "Prefix", EncodeIf(url, prefix)),
            token is null ? null : new XElement(S3Ns + "ContinuationToken", token),
            truncated ? new XElement(S3Ns + "NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Key))) : null,
            new XElement(S3Ns + "KeyCount", page.Count),
            new XElement(S3Ns + "MaxKeys", maxKeys),
            url ? new XElement(S3Ns + "EncodingType", "url") : null,
            new XElement(S3Ns + "IsTruncated", truncated ? "true" : "false"),
            page.Select(version => new XElement(S3Ns + "Contents",
                new XElement(S3Ns + "Key", EncodeIf(url, version.Key)),
                new XElement(S3Ns + "LastModified", Timestamp(version.LastModified)),
                new XElement(S3Ns + "ETag", version.ETag),
                Checksum(version),
                new XElement(S3Ns + "Size", version.Size),
                new XElement(S3Ns + "StorageClass", version.StorageClass)))));
    }

    private Task ListObjectVersionsAsync(HttpContext context, LoopbackBucket bucket, IReadOnlyDictionary<string, string> query)
    {
        var prefix = query.GetValueOrDefault("prefix", "");
        var url = query.GetValueOrDefault("encoding-type") == "url";
        var maxKeys = Math.Min(int.Parse(query.GetValueOrDefault("max-keys", "1000"), CultureInfo.InvariantCulture), PageSize);
        var keyMarker = query.GetValueOrDefault("key-marker", "");
        var versionMarker = query.GetValueOrDefault("version-id-marker", "");
        var all = bucket.AllVersions().Where(version => version.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        // Entries after the markers: past the key-marker's versions, or past the marked version of the key-marker.
        var start = keyMarker.Length == 0 ? 0
            : versionMarker.Length == 0 ? all.FindIndex(version => string.CompareOrdinal(version.Key, keyMarker) > 0)
            : all.FindIndex(version => version.Key == keyMarker && version.VersionId == versionMarker) + 1;
        var rest = start < 0 ? new List<StoredVersion>() : all.Skip(start).ToList();
        var page = rest.Take(maxKeys).ToList();
        var truncated = rest.Count > maxKeys;
        var latest = page.Select(version => version.Key).Distinct().ToDictionary(key => key, key => bucket.Find(key, null)!.VersionId, StringComparer.Ordinal);
        return XmlAsync(context, new XElement(S3Ns + "ListVersionsResult",
            new XElement(S3Ns + "Name", bucket.Name),
            new XElement(S3Ns + "Prefix", EncodeIf(url, prefix)),
            new XElement(S3Ns + "KeyMarker", EncodeIf(url, keyMarker)),
            new XElement(S3Ns + "VersionIdMarker", versionMarker),
            truncated ? new XElement(S3Ns + "NextKeyMarker", EncodeIf(url, page[^1].Key)) : null,
            truncated ? new XElement(S3Ns + "NextVersionIdMarker", page[^1].VersionId) : null,
            new XElement(S3Ns + "MaxKeys", maxKeys),
            url ? new XElement(S3Ns + "EncodingType", "url") : null,
            new XElement(S3Ns + "IsTruncated", truncated ? "true" : "false"),
            page.Select(version => version.IsDeleteMarker
                ? new XElement(S3Ns + "DeleteMarker",
                    new XElement(S3Ns + "Key", EncodeIf(url, version.Key)),
                    new XElement(S3Ns + "VersionId", version.VersionId),
                    new XElement(S3Ns + "IsLatest", latest[version.Key] == version.VersionId ? "true" : "false"),
                    new XElement(S3Ns + "LastModified", Timestamp(version.LastModified)))
                : new XElement(S3Ns + "Version",
                    new XElement(S3Ns + "Key", EncodeIf(url, version.Key)),
                    new XElement(S3Ns + "VersionId", version.VersionId),
                    new XElement(S3Ns + "IsLatest", latest[version.Key] == version.VersionId ? "true" : "false"),
                    new XElement(S3Ns + "LastModified", Timestamp(version.LastModified)),
                    new XElement(S3Ns + "ETag", version.ETag),
                    Checksum(version),
                    new XElement(S3Ns + "Size", version.Size),
                    new XElement(S3Ns + "StorageClass", version.StorageClass)))));
    }

    private static Task ReplicationAsync(HttpContext context, LoopbackBucket bucket)
    {
        if (bucket.ReplicatesTo.Count == 0)
        {
            return ErrorAsync(context, 404, "ReplicationConfigurationNotFoundError", "The replication configuration was not found", ("BucketName", bucket.Name));
        }
        return XmlAsync(context, new XElement(S3Ns + "ReplicationConfiguration",
            new XElement(S3Ns + "Role", "arn:aws:iam::111122223333:role/BackupRole"),
            bucket.ReplicatesTo.Select((destination, index) => new XElement(S3Ns + "Rule",
                new XElement(S3Ns + "ID", $"ReplicateToBackup{index}"),
                new XElement(S3Ns + "Priority", index + 1),
                new XElement(S3Ns + "Filter", new XElement(S3Ns + "Prefix", "")),
                new XElement(S3Ns + "Status", "Enabled"),
                new XElement(S3Ns + "DeleteMarkerReplication", new XElement(S3Ns + "Status", "Disabled")),
                new XElement(S3Ns + "Destination", new XElement(S3Ns + "Bucket", "arn:aws:s3:::" + destination),
                    bucket.ReplicatesToAccount is { } account ? new XElement(S3Ns + "Account", account) : null)))));
    }

    /// <summary>HeadObject and GetObject: S3's headers; a delete marker answers 404 (405 when named by version id) with x-amz-delete-marker.</summary>
    private static async Task ObjectAsync(HttpContext context, LoopbackBucket bucket, LoggedRequest entry, string? versionId, bool withBody)
    {
        var version = bucket.Find(entry.Key, versionId);
        if (version is null)
        {
            await ErrorAsync(context, 404, versionId is null ? "NoSuchKey" : "NoSuchVersion", "The specified key does not exist.", ("Key", entry.Key));
            return;
        }
        var headers = context.Response.Headers;
        if (bucket.Versioned)
        {
            headers["x-amz-version-id"] = version.VersionId;
        }
        if (version.IsDeleteMarker)
        {
            headers["x-amz-delete-marker"] = "true";
            await ErrorAsync(context, versionId is null ? 404 : 405, versionId is null ? "NoSuchKey" : "MethodNotAllowed",
                "The specified key does not exist.", ("Key", entry.Key));
            return;
        }
        if (withBody && version.Unreadable)
        {
            await ErrorAsync(context, 403, "InvalidObjectState", "The operation is not valid for the object's storage class", ("StorageClass", version.StorageClass));
            return;
        }
        if (withBody && (version.Content is null || entry.Headers.ContainsKey("range")))
        {
            await ErrorAsync(context, 501, "NotImplemented", "The loopback stand-in serves whole objects with their bytes only.");
            return;
        }
        headers.ETag = version.ETag;
        headers.LastModified = version.LastModified.ToString("R", CultureInfo.InvariantCulture);
        headers.AcceptRanges = "bytes";
        headers.ContentType = "application/octet-stream";
        if (version.StorageClass != "STANDARD")
        {
            headers["x-amz-storage-class"] = version.StorageClass;
        }
        if (version.Restore is { } restore)
        {
            headers["x-amz-restore"] = restore;
        }
        if (version.Encryption is { } encryption)
        {
            headers["x-amz-server-side-encryption"] = encryption;
        }
        if (version.ChecksumCrc32 is { } crc32 && entry.Header("x-amz-checksum-mode").Equals("ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            headers["x-amz-checksum-crc32"] = crc32;
            headers["x-amz-checksum-type"] = "FULL_OBJECT";
        }
        context.Response.ContentLength = version.Size;
        if (withBody)
        {
            await context.Response.Body.WriteAsync(version.Content);
        }
    }

    /// <summary>CopyObject: reads the source (its version if named), then creates the destination's new version; answers with both version ids.</summary>
    private async Task CopyAsync(HttpContext context, LoopbackBucket destination, LoggedRequest entry)
    {
        var copySource = entry.Header("x-amz-copy-source");
        var marker = copySource.IndexOf("?versionId=", StringComparison.Ordinal);
        var sourceVersionId = marker < 0 ? null : Uri.UnescapeDataString(copySource[(marker + "?versionId=".Length)..]);
        var sourcePath = Uri.UnescapeDataString(marker < 0 ? copySource : copySource[..marker]).TrimStart('/');
        var slash = sourcePath.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || BucketOrNull(sourcePath[..slash]) is not { } sourceBucket)
        {
            await ErrorAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist", ("BucketName", slash <= 0 ? sourcePath : sourcePath[..slash]));
            return;
        }
        if (entry.Header("x-amz-source-expected-bucket-owner") is { Length: > 0 } expected && expected != sourceBucket.Owner)
        {
            await ErrorAsync(context, 403, "AccessDenied", "Access Denied");
            return;
        }
        var source = sourceBucket.Find(sourcePath[(slash + 1)..], sourceVersionId);
        if (source is null || source.IsDeleteMarker)
        {
            await ErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist.", ("Key", sourcePath[(slash + 1)..]));
            return;
        }
        if (source.Unreadable)
        {
            await ErrorAsync(context, 403, "InvalidObjectState", "The operation is not valid for the object's storage class", ("StorageClass", source.StorageClass));
            return;
        }
        var encryption = entry.Header("x-amz-server-side-encryption") is { Length: > 0 } asked ? asked : null;
        var copy = destination.Add(new StoredVersion
        {
            Key = entry.Key,
            VersionId = destination.NewVersionId(),
            LastModified = Truncated(DateTime.UtcNow),
            Content = source.Content,
            Size = source.Size,
            ETag = source.Content is { } bytes && encryption != "aws:kms" ? Md5ETag(bytes) : source.ETag,
            StorageClass = entry.Header("x-amz-storage-class") is { Length: > 0 } storageClass ? storageClass : "STANDARD",
            Encryption = encryption,
            ChecksumCrc32 = source.ChecksumCrc32,
        });
        lock (_copies)
        {
            _copies.Add(new CommittedCopy(sourceBucket.Name, source.Key, source.VersionId, destination.Name, copy.Key, copy.VersionId, Now));
        }
        if (destination.Versioned)
        {
            context.Response.Headers["x-amz-version-id"] = copy.VersionId;
        }
        if (sourceBucket.Versioned)
        {
            context.Response.Headers["x-amz-copy-source-version-id"] = source.VersionId;
        }
        await XmlAsync(context, new XElement(S3Ns + "CopyObjectResult",
            new XElement(S3Ns + "LastModified", Timestamp(copy.LastModified)),
            new XElement(S3Ns + "ETag", copy.ETag)));
    }

    /// <summary>RestoreObject of an archived version: 202 Accepted, its restore now under way (409 RestoreAlreadyInProgress when one is).</summary>
    private static Task RestoreAsync(HttpContext context, LoopbackBucket bucket, LoggedRequest entry, string? versionId)
    {
        if (bucket.Find(entry.Key, versionId) is not { IsDeleteMarker: false } version)
        {
            return ErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist.", ("Key", entry.Key));
        }
        if (version.StorageClass is not ("GLACIER" or "DEEP_ARCHIVE"))
        {
            return ErrorAsync(context, 403, "InvalidObjectState", "Restore is not allowed for the object's current storage class.");
        }
        if (version.Restore?.Contains("ongoing-request=\"true\"", StringComparison.Ordinal) == true)
        {
            return ErrorAsync(context, 409, "RestoreAlreadyInProgress", "Object restore is already in progress.");
        }
        bucket.Replace(version, version with { Restore = "ongoing-request=\"true\"" });
        context.Response.StatusCode = 202;
        return Task.CompletedTask;
    }

    private async Task PutAsync(HttpContext context, LoopbackBucket bucket, LoggedRequest entry, CancellationToken aborted)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, aborted);
        var content = entry.Header("x-amz-content-sha256").StartsWith("STREAMING-", StringComparison.Ordinal) || entry.Header("content-encoding").Contains("aws-chunked")
            ? DecodeAwsChunked(buffer.ToArray())
            : buffer.ToArray();
        var encryption = entry.Header("x-amz-server-side-encryption") is { Length: > 0 } asked ? asked : null;
        var stored = bucket.Add(new StoredVersion
        {
            Key = entry.Key, VersionId = bucket.NewVersionId(), LastModified = Truncated(DateTime.UtcNow), Content = content, Size = content.Length,
            ETag = Md5ETag(content), Encryption = encryption,
            StorageClass = entry.Header("x-amz-storage-class") is { Length: > 0 } storageClass ? storageClass : "STANDARD",
        });
        context.Response.Headers.ETag = stored.ETag;
        if (bucket.Versioned)
        {
            context.Response.Headers["x-amz-version-id"] = stored.VersionId;
        }
        if (encryption is not null)
        {
            context.Response.Headers["x-amz-server-side-encryption"] = encryption;
        }
    }

    /// <summary>The payload of an aws-chunked body: "size[;chunk-signature=…]\r\n data \r\n", ending with a 0-size chunk (and trailers).</summary>
    private static byte[] DecodeAwsChunked(byte[] body)
    {
        using var payload = new MemoryStream();
        var at = 0;
        while (at < body.Length)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', at);
            var header = Encoding.ASCII.GetString(body, at, lineEnd - at).TrimEnd('\r');
            var size = Convert.ToInt32(header.Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }
            payload.Write(body, lineEnd + 1, size);
            at = lineEnd + 1 + size + 2;
        }
        return payload.ToArray();
    }

    private static Task DeleteAsync(HttpContext context, LoopbackBucket bucket, LoggedRequest entry, string? versionId)
    {
        var headers = context.Response.Headers;
        if (versionId is not null)
        {
            if (bucket.DeleteVersion(entry.Key, versionId) is { } removed)
            {
                headers["x-amz-version-id"] = removed.VersionId;
                if (removed.IsDeleteMarker)
                {
                    headers["x-amz-delete-marker"] = "true";
                }
            }
        }
        else if (bucket.Delete(entry.Key, Truncated(DateTime.UtcNow)) is { } marker)
        {
            headers["x-amz-version-id"] = marker.VersionId;
            headers["x-amz-delete-marker"] = "true";
        }
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    // ---- IAM and S3 Control, for Start-S3BackupBatchRestore ----

    private async Task IamAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var action = form["Action"].ToString();
        var roleName = form["RoleName"].ToString();
        if (action == "GetCallerIdentity" && CallerAccount is { } account)
        {
            await XmlAsync(context, new XElement(StsNs + "GetCallerIdentityResponse", new XElement(StsNs + "GetCallerIdentityResult",
                new XElement(StsNs + "Arn", $"arn:aws:iam::{account}:user/loopback"), new XElement(StsNs + "UserId", "AIDALOOPBACK"),
                new XElement(StsNs + "Account", account)), new XElement(StsNs + "ResponseMetadata", new XElement(StsNs + "RequestId", "LOOPBACK"))));
            return;
        }
        if (action != "GetRole")
        {
            await XmlAsync(context, new XElement(IamNs + "ErrorResponse", new XElement(IamNs + "Error", new XElement(IamNs + "Type", "Sender"),
                new XElement(IamNs + "Code", "InvalidAction"), new XElement(IamNs + "Message", $"The loopback stand-in serves GetRole only, not {action}."))), 400);
            return;
        }
        if (!_roles.TryGetValue(roleName, out var policy))
        {
            await XmlAsync(context, new XElement(IamNs + "ErrorResponse", new XElement(IamNs + "Error", new XElement(IamNs + "Type", "Sender"),
                new XElement(IamNs + "Code", "NoSuchEntity"), new XElement(IamNs + "Message", $"The role with name {roleName} cannot be found."))), 404);
            return;
        }
        await XmlAsync(context, new XElement(IamNs + "GetRoleResponse",
            new XElement(IamNs + "GetRoleResult", new XElement(IamNs + "Role",
                new XElement(IamNs + "Path", "/"),
                new XElement(IamNs + "RoleName", roleName),
                new XElement(IamNs + "RoleId", "AROALOOPBACK" + roleName.Length),
                new XElement(IamNs + "Arn", $"arn:aws:iam::111122223333:role/{roleName}"),
                new XElement(IamNs + "CreateDate", "2026-01-01T00:00:00Z"),
                // AWS returns the policy document URL-encoded.
                new XElement(IamNs + "AssumeRolePolicyDocument", Uri.EscapeDataString(policy)),
                new XElement(IamNs + "MaxSessionDuration", 3600))),
            new XElement(IamNs + "ResponseMetadata", new XElement(IamNs + "RequestId", "LOOPBACK"))));
    }

    private async Task CreateJobAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var request = XElement.Parse(await reader.ReadToEndAsync());
        string jobId;
        lock (_jobs)
        {
            jobId = $"job-{_jobs.Count + 1:D5}";
            _jobs.Add(new CreatedJob(jobId, request));
        }
        await XmlAsync(context, new XElement(ControlNs + "CreateJobResult", new XElement(ControlNs + "JobId", jobId)));
    }

    private async Task DescribeJobAsync(HttpContext context, string jobId)
    {
        if (Jobs.FirstOrDefault(job => job.JobId == jobId) is not { } job)
        {
            await XmlAsync(context, new XElement("ErrorResponse", new XElement("Error", new XElement("Code", "NoSuchJob"), new XElement("Message", jobId))), 404);
            return;
        }
        var confirm = job.Request.Element(ControlNs + "ConfirmationRequired")?.Value == "true";
        await XmlAsync(context, new XElement(ControlNs + "DescribeJobResult", new XElement(ControlNs + "Job",
            new XElement(ControlNs + "JobId", jobId),
            new XElement(ControlNs + "ConfirmationRequired", confirm ? "true" : "false"),
            job.Request.Element(ControlNs + "Description"),
            new XElement(ControlNs + "Status", confirm ? "Suspended" : "Ready"),
            job.Request.Element(ControlNs + "Priority"),
            job.Request.Element(ControlNs + "Operation"),
            job.Request.Element(ControlNs + "Manifest"),
            job.Request.Element(ControlNs + "Report"),
            job.Request.Element(ControlNs + "RoleArn"),
            new XElement(ControlNs + "CreationTime", Timestamp(DateTime.UtcNow)),
            new XElement(ControlNs + "ProgressSummary", new XElement(ControlNs + "TotalNumberOfTasks", 0),
                new XElement(ControlNs + "NumberOfTasksSucceeded", 0), new XElement(ControlNs + "NumberOfTasksFailed", 0)))));
    }

    /// <summary>The rows of the manifest a created job names (Bucket,Key,VersionId lines), read from the stand-in's own bucket.</summary>
    public IReadOnlyList<string> ManifestRows(CreatedJob job)
    {
        var arn = job.Request.Element(ControlNs + "Manifest")!.Element(ControlNs + "Location")!.Element(ControlNs + "ObjectArn")!.Value;
        var path = arn["arn:aws:s3:::".Length..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var version = job.Request.Element(ControlNs + "Manifest")!.Element(ControlNs + "Location")!.Element(ControlNs + "ObjectVersionId")?.Value;
        var stored = Bucket(path[..slash]).Find(path[(slash + 1)..], version) ?? throw new InvalidOperationException($"The manifest {arn} is not in the stand-in.");
        return Encoding.UTF8.GetString(stored.Content!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The operation a created job carries out (S3PutObjectCopy, S3InitiateRestoreObject…).</summary>
    public static string OperationOf(CreatedJob job) => job.Request.Element(ControlNs + "Operation")!.Elements().Single().Name.LocalName;

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        _session?.Dispose();
        _profile?.Dispose();
    }
}
