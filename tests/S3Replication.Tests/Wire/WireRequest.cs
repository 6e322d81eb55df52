using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Wire;

/// <summary>Where two requests for the same operation differ: the part of the request, its name, and each side's value (null: absent).</summary>
internal sealed record Difference(string Operation, string Part, string Name, string? Botocore, string? Ours)
{
    public override string ToString() => $"{Operation} {Part} {Name}: botocore {Botocore ?? "(absent)"}, ours {Ours ?? "(absent)"}";
}

/// <summary>
/// One S3 request as S3 reads it, whichever SDK sent it: the operation it is, method, path and query percent-decoded, the
/// headers that carry meaning, and the payload with its aws-chunked framing taken off (a trailing checksum becomes a
/// header whose name ends in <see cref="TrailerSuffix"/>). XML payloads are kept in a canonical form: S3 reads an
/// element's members by name, so only the order of repeated elements (parts, rules, tags) is kept.
/// </summary>
internal sealed record WireRequest(string Operation, string Method, string Path, string? Bucket, string? Key, IReadOnlyList<string> Query,
    IReadOnlyDictionary<string, string> Headers, string Body)
{
    public const string TrailerSuffix = " (trailer)";

    /// <summary>How the request travels, not what it asks: the signature and its date, who sent it, the connection's framing.</summary>
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.Ordinal)
    {
        "authorization", "x-amz-date", "user-agent", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "host", "content-length",
        "expect", "transfer-encoding",
    };

    public static WireRequest Read(RecordedRequest request) => Read(request.Method.Method, request.Uri, request.Headers, request.BodyBytes);

    public static WireRequest Read(JsonObject botocore) => Read((string)botocore["method"]!, new Uri((string)botocore["url"]!),
        botocore["headers"]!.AsObject().ToDictionary(header => header.Key, header => (string)header.Value!), Encoding.UTF8.GetBytes((string)botocore["body"]!));

    private static WireRequest Read(string method, Uri uri, IReadOnlyDictionary<string, string> sentHeaders, byte[] sentBody)
    {
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var segments = path.TrimStart('/').Split('/', 2);
        var bucket = segments[0].Length > 0 ? segments[0] : null;
        var key = segments.Length > 1 && segments[1].Length > 0 ? segments[1] : null;
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(parts => Uri.UnescapeDataString(parts[0]) + (parts.Length > 1 && parts[1].Length > 0 ? "=" + Uri.UnescapeDataString(parts[1]) : ""))
            .OrderBy(entry => entry, StringComparer.Ordinal)
            .ToList();

        var headers = sentHeaders.Where(header => !TransportHeaders.Contains(header.Key)).ToDictionary(header => header.Key, header => header.Value, StringComparer.Ordinal);
        var payload = Encoding.UTF8.GetString(sentBody);
        if (headers.TryGetValue("content-encoding", out var encoding) && encoding.Contains("aws-chunked", StringComparison.Ordinal))
        {
            payload = Unchunk(payload, headers);
        }
        var isXml = payload.TrimStart().StartsWith('<');
        if (headers.TryGetValue("x-amz-content-sha256", out var payloadHash) && payloadHash == Convert.ToHexString(SHA256.HashData(sentBody)).ToLowerInvariant())
        {
            headers["x-amz-content-sha256"] = "(the payload's SHA-256)";
        }
        if (headers.ContainsKey("content-md5"))
        {
            // Computed over the bytes sent; the payloads themselves are compared below.
            headers["content-md5"] = "(present)";
        }
        if (isXml)
        {
            // A checksum of XML text differs with the order of its members; the XML itself is compared below.
            foreach (var name in headers.Keys.Where(name => name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) && name != "x-amz-checksum-algorithm").ToList())
            {
                headers[name] = "(present)";
            }
        }
        if (headers.TryGetValue("x-amz-copy-source", out var copySource))
        {
            headers["x-amz-copy-source"] = CopySource(copySource);
        }
        var operation = OperationOf(method, key, query.Select(entry => entry.Split('=')[0]).ToHashSet(StringComparer.Ordinal), headers);
        return new WireRequest(operation, method, path, bucket, key, query, headers, isXml ? Canonical(XElement.Parse(payload)).ToString(SaveOptions.DisableFormatting) : payload);
    }

    /// <summary>S3 splits the version off first, then percent-decodes bucket and key (either SDK may encode the slash between them).</summary>
    private static string CopySource(string value)
    {
        var version = value.IndexOf("?versionId=", StringComparison.Ordinal);
        return version < 0 ? Uri.UnescapeDataString(value) : Uri.UnescapeDataString(value[..version]) + value[version..];
    }

    /// <summary>The payload of an aws-chunked body; its trailing headers (but their signature) go into <paramref name="headers"/>.</summary>
    private static string Unchunk(string body, Dictionary<string, string> headers)
    {
        var payload = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd].Split(';')[0], 16);
            at = lineEnd + 2;
            if (size == 0)
            {
                break;
            }
            payload.Append(body, at, size);
            at += size + 2;
        }
        foreach (var line in body[at..].Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (line[..line.IndexOf(':')], line[(line.IndexOf(':') + 1)..]);
            if (name != "x-amz-trailer-signature")
            {
                headers[name + TrailerSuffix] = value;
            }
        }
        return payload.ToString();
    }

    private static XElement Canonical(XElement element) => new(element.Name, element.HasElements
        ? element.Elements().OrderBy(child => child.Name.ToString(), StringComparer.Ordinal).Select(Canonical)
        : element.Value);

    /// <summary>Which S3 operation a request is, by its method, whether it names a key, its subresource and its copy source.</summary>
    private static string OperationOf(string method, string? key, HashSet<string> query, IReadOnlyDictionary<string, string> headers)
    {
        var copy = headers.ContainsKey("x-amz-copy-source");
        return (method, key is null) switch
        {
            ("GET", true) when query.Count == 0 => "ListBuckets",
            ("GET", true) when query.Contains("list-type") => "ListObjectsV2",
            ("GET", true) when query.Contains("versions") => "ListObjectVersions",
            ("GET", true) when query.Contains("uploads") => "ListMultipartUploads",
            ("GET", true) when query.Contains("replication") => "GetBucketReplication",
            ("GET", true) when query.Contains("versioning") => "GetBucketVersioning",
            ("GET", true) when query.Contains("ownershipControls") => "GetBucketOwnershipControls",
            ("GET", true) when query.Contains("location") => "GetBucketLocation",
            ("GET", true) => "ListObjects",
            ("PUT", true) when query.Contains("replication") => "PutBucketReplication",
            ("PUT", true) when query.Contains("versioning") => "PutBucketVersioning",
            ("DELETE", true) when query.Contains("replication") => "DeleteBucketReplication",
            ("POST", true) when query.Contains("delete") => "DeleteObjects",
            ("HEAD", true) => "HeadBucket",
            ("HEAD", false) => "HeadObject",
            ("GET", false) when query.Contains("tagging") => "GetObjectTagging",
            ("GET", false) when query.Contains("uploadId") => "ListParts",
            ("GET", false) => "GetObject",
            ("PUT", false) when query.Contains("tagging") => "PutObjectTagging",
            ("PUT", false) when query.Contains("partNumber") => copy ? "UploadPartCopy" : "UploadPart",
            ("PUT", false) => copy ? "CopyObject" : "PutObject",
            ("POST", false) when query.Contains("uploads") => "CreateMultipartUpload",
            ("POST", false) when query.Contains("uploadId") => "CompleteMultipartUpload",
            ("POST", false) when query.Contains("restore") => "RestoreObject",
            ("DELETE", false) when query.Contains("uploadId") => "AbortMultipartUpload",
            ("DELETE", false) => "DeleteObject",
            _ => $"{method} (unknown operation)",
        };
    }

    /// <summary>Every way <paramref name="ours"/> differs from what botocore sent for the same call.</summary>
    public static IEnumerable<Difference> Compare(WireRequest botocore, WireRequest ours)
    {
        var operation = botocore.Operation;
        if (botocore.Operation != ours.Operation)
        {
            yield return new Difference(operation, "operation", "", botocore.Operation, ours.Operation);
            yield break;
        }
        if (botocore.Path != ours.Path)
        {
            yield return new Difference(operation, "path", "", botocore.Path, ours.Path);
        }
        foreach (var entry in botocore.Query.Except(ours.Query))
        {
            yield return new Difference(operation, "query", entry.Split('=')[0], entry, ours.Query.FirstOrDefault(other => other.Split('=')[0] == entry.Split('=')[0]));
        }
        foreach (var entry in ours.Query.Except(botocore.Query).Where(entry => !botocore.Query.Any(other => other.Split('=')[0] == entry.Split('=')[0])))
        {
            yield return new Difference(operation, "query", entry.Split('=')[0], null, entry);
        }
        foreach (var name in botocore.Headers.Keys.Union(ours.Headers.Keys).OrderBy(name => name, StringComparer.Ordinal))
        {
            var (theirs, mine) = (botocore.Headers.GetValueOrDefault(name), ours.Headers.GetValueOrDefault(name));
            if (theirs != mine)
            {
                yield return new Difference(operation, "header", name, theirs, mine);
            }
        }
        if (botocore.Body != ours.Body)
        {
            yield return new Difference(operation, "body", "", botocore.Body, ours.Body);
        }
    }
}
