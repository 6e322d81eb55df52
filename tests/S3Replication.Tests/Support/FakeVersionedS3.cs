using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Threading;
using System.Web;

namespace S3Replication.Tests.Support;

/// <summary>
/// Versioned buckets in memory behind <see cref="FakeS3"/>, speaking S3's wire format for what an undo and a replication
/// canary do: PUT (a new version, its bytes kept), HEAD and GET of a key's current version (404 under a delete marker or
/// without versions), DELETE without a version (a delete marker), DELETE of one version, ListObjectVersions (keys in byte
/// order, each key's versions newest first, delete markers among them, max-keys and key/version markers). A denial rule
/// refuses requests.
/// </summary>
internal sealed class FakeVersionedS3
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, List<Entry>>> _buckets = new(StringComparer.Ordinal);
    private int _next;

    public FakeVersionedS3()
    {
        Http = new FakeS3(Answer);
    }

    public FakeS3 Http { get; }

    /// <summary>A request this returns true for is answered 403 AccessDenied.</summary>
    public Func<RecordedRequest, bool> Deny { get; set; } = _ => false;

    /// <summary>Buckets without versioning: a PUT answers no version id and replaces the key, a DELETE removes it.</summary>
    public bool Unversioned { get; set; }

    /// <summary>Called before each request is answered (a test can hold or count requests there).</summary>
    public Action<RecordedRequest>? Before { get; set; }

    /// <summary>The storage class HEAD and GET report for a bucket's objects (null: none, as for STANDARD).</summary>
    public Func<string, string?> StorageClassOf { get; set; } = _ => null;

    public sealed record Entry(string VersionId, bool IsDeleteMarker, string Body, DateTime LastModified)
    {
        /// <summary>The bytes as sent (a PUT's body); null for a version made from a string.</summary>
        public byte[]? Bytes { get; init; }
    }

    public string Put(string bucket, string key, string body) => Add(bucket, key, marker: false, body);

    /// <summary>A new version with exactly these bytes (what a replica of another version would hold).</summary>
    public string Put(string bucket, string key, byte[] bytes) => Add(bucket, key, marker: false, System.Text.Encoding.UTF8.GetString(bytes), bytes);

    public string Delete(string bucket, string key) => Add(bucket, key, marker: true, "");

    /// <summary>The key's versions, newest first.</summary>
    public IReadOnlyList<Entry> Versions(string bucket, string key)
    {
        lock (_gate)
        {
            return _buckets.TryGetValue(bucket, out var keys) && keys.TryGetValue(key, out var versions) ? versions.ToList() : new List<Entry>();
        }
    }

    /// <summary>The current body, or null when the key has no versions or a delete marker is current.</summary>
    public string? Current(string bucket, string key) => Versions(bucket, key).FirstOrDefault() is { IsDeleteMarker: false } current ? current.Body : null;

    /// <summary>Every version of the bucket, for "nothing changed" comparisons.</summary>
    public string State(string bucket)
    {
        lock (_gate)
        {
            return _buckets.TryGetValue(bucket, out var keys)
                ? string.Join(";", keys.SelectMany(key => key.Value.Select(version => $"{key.Key}@{version.VersionId}{(version.IsDeleteMarker ? "(marker)" : "")}")))
                : "";
        }
    }

    private string Add(string bucket, string key, bool marker, string body, byte[]? bytes = null)
    {
        lock (_gate)
        {
            if (!_buckets.TryGetValue(bucket, out var keys))
            {
                _buckets[bucket] = keys = new SortedDictionary<string, List<Entry>>(StringComparer.Ordinal);
            }
            if (!keys.TryGetValue(key, out var versions))
            {
                keys[key] = versions = new List<Entry>();
            }
            var id = $"ver{Interlocked.Increment(ref _next):D4}";
            versions.Insert(0, new Entry(id, marker, body, new DateTime(2026, 12, 1, 22, 0, 0, DateTimeKind.Utc).AddSeconds(_next)) { Bytes = bytes });
            return id;
        }
    }

    private void Forget(string bucket, string key)
    {
        lock (_gate)
        {
            if (_buckets.TryGetValue(bucket, out var keys))
            {
                keys.Remove(key);
            }
        }
    }

    private HttpResponseMessage Answer(RecordedRequest request)
    {
        Before?.Invoke(request);
        if (Deny(request))
        {
            return FakeS3.Xml("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", HttpStatusCode.Forbidden);
        }
        var path = request.Uri.AbsolutePath.TrimStart('/');
        var slash = path.IndexOf('/');
        var bucket = Uri.UnescapeDataString(slash < 0 ? path : path.Substring(0, slash));
        var key = slash < 0 ? "" : Uri.UnescapeDataString(path.Substring(slash + 1));
        var query = HttpUtility.ParseQueryString(request.Uri.Query);
        if (request.Method == HttpMethod.Get && (query.GetValues(null) ?? Array.Empty<string>()).Contains("versions"))
        {
            return FakeS3.Xml(List(bucket, query["prefix"] ?? "", int.Parse(query["max-keys"] ?? "1000"), query["key-marker"], query["version-id-marker"]));
        }
        if (request.Method == HttpMethod.Put && key.Length > 0)
        {
            if (Unversioned)
            {
                Forget(bucket, key);
            }
            var body = Payload(request);
            var id = Put(bucket, key, body);
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("") };
            if (!Unversioned)
            {
                response.Headers.Add("x-amz-version-id", id);
            }
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue($"\"{Md5Hex(body)}\"");
            return response;
        }
        if ((request.Method == HttpMethod.Head || request.Method == HttpMethod.Get) && key.Length > 0)
        {
            if (Versions(bucket, key).FirstOrDefault() is not { IsDeleteMarker: false } current)
            {
                return request.Method == HttpMethod.Head ? new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new ByteArrayContent(Array.Empty<byte>()) }
                    : FakeS3.Xml("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>", HttpStatusCode.NotFound);
            }
            var bytes = current.Bytes ?? System.Text.Encoding.UTF8.GetBytes(current.Body);
            var response = new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(request.Method == HttpMethod.Head ? Array.Empty<byte>() : bytes),
            };
            response.Content.Headers.ContentLength = bytes.Length;
            response.Headers.Add("x-amz-version-id", current.VersionId);
            // A single PUT's ETag is its MD5, which the SDK checks a GET's body against.
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue($"\"{Md5Hex(bytes)}\"");
            if (StorageClassOf(bucket) is { } storageClass)
            {
                response.Headers.Add("x-amz-storage-class", storageClass);
            }
            return response;
        }
        if (request.Method == HttpMethod.Delete && key.Length > 0)
        {
            var response = new HttpResponseMessage(HttpStatusCode.NoContent);
            if (query["versionId"] is { } versionId)
            {
                lock (_gate)
                {
                    if (_buckets.TryGetValue(bucket, out var keys) && keys.TryGetValue(key, out var versions))
                    {
                        versions.RemoveAll(version => version.VersionId == versionId);
                        if (versions.Count == 0)
                        {
                            keys.Remove(key);
                        }
                    }
                }
                response.Headers.Add("x-amz-version-id", versionId);
                return response;
            }
            if (Unversioned)
            {
                Forget(bucket, key);
                return response;
            }
            response.Headers.Add("x-amz-version-id", Delete(bucket, key));
            response.Headers.Add("x-amz-delete-marker", "true");
            return response;
        }
        return FakeS3.Xml($"<Error><Code>NotImplementedByFake</Code><Message>{SecurityElement.Escape(request.Method + " " + request.PathAndQuery)}</Message></Error>", HttpStatusCode.BadRequest);
    }

    /// <summary>
    /// The object's bytes: the body, or over plain HTTP the SDK's aws-chunked framing taken off
    /// (<c>hex-size;chunk-signature=…\r\n data \r\n</c> … a zero-size chunk, then any trailers).
    /// </summary>
    private static byte[] Payload(RecordedRequest request)
    {
        if (!request.Headers.TryGetValue("x-amz-content-sha256", out var mode) || !mode.StartsWith("STREAMING-", StringComparison.Ordinal))
        {
            return request.BodyBytes;
        }
        var framed = request.BodyBytes;
        var payload = new List<byte>();
        var position = 0;
        while (true)
        {
            var lineEnd = Array.IndexOf(framed, (byte)'\n', position);
            var header = System.Text.Encoding.ASCII.GetString(framed, position, lineEnd - position).TrimEnd('\r');
            var size = Convert.ToInt32(header.Split(';')[0], 16);
            if (size == 0)
            {
                return payload.ToArray();
            }
            payload.AddRange(framed.Skip(lineEnd + 1).Take(size));
            position = lineEnd + 1 + size + 2;
        }
    }

    private static string Md5Hex(byte[] bytes)
    {
        using var md5 = System.Security.Cryptography.MD5.Create();
        return string.Concat(md5.ComputeHash(bytes).Select(value => value.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private string List(string bucket, string prefix, int maxKeys, string? keyMarker, string? versionMarker)
    {
        List<(string Key, Entry Version)> all;
        lock (_gate)
        {
            all = _buckets.TryGetValue(bucket, out var keys)
                ? keys.Where(key => key.Key.StartsWith(prefix, StringComparison.Ordinal)).SelectMany(key => key.Value.Select(version => (key.Key, version))).ToList()
                : new List<(string, Entry)>();
        }
        var start = 0;
        if (!string.IsNullOrEmpty(keyMarker))
        {
            var index = all.FindIndex(entry => entry.Key == keyMarker && entry.Version.VersionId == versionMarker);
            start = index >= 0 ? index + 1 : all.FindIndex(entry => string.CompareOrdinal(entry.Key, keyMarker) > 0) is var after and >= 0 ? after : all.Count;
        }
        var page = all.Skip(start).Take(maxKeys).ToList();
        var truncated = start + page.Count < all.Count;
        var items = string.Concat(page.Select(entry =>
        {
            var isLatest = all.First(other => other.Key == entry.Key).Version.VersionId == entry.Version.VersionId;
            var common = $"<Key>{SecurityElement.Escape(entry.Key)}</Key><VersionId>{entry.Version.VersionId}</VersionId><IsLatest>{(isLatest ? "true" : "false")}</IsLatest>" +
                $"<LastModified>{entry.Version.LastModified:yyyy-MM-ddTHH:mm:ss.fffZ}</LastModified>";
            return entry.Version.IsDeleteMarker
                ? $"<DeleteMarker>{common}</DeleteMarker>"
                : $"<Version>{common}<ETag>\"e\"</ETag><Size>{entry.Version.Body.Length}</Size><StorageClass>STANDARD</StorageClass></Version>";
        }));
        var next = truncated ? $"<NextKeyMarker>{SecurityElement.Escape(page[^1].Key)}</NextKeyMarker><NextVersionIdMarker>{page[^1].Version.VersionId}</NextVersionIdMarker>" : "";
        return $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name>" +
            $"<Prefix>{SecurityElement.Escape(prefix)}</Prefix><MaxKeys>{maxKeys}</MaxKeys><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>{items}{next}</ListVersionsResult>";
    }
}
