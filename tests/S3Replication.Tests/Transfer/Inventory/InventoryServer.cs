using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Text;
using System.Web;
using Amazon.S3;
using S3Replication.Records;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Transfer.Inventory;

/// <summary>
/// Buckets of bytes behind <see cref="FakeS3"/>, speaking S3's wire format for what reading an inventory sends:
/// GetObject (404 NoSuchKey for a missing key), ListObjectsV2 with a prefix and delimiter (paged), and
/// GetBucketInventoryConfiguration (404 NoSuchConfiguration for an unknown id).
/// </summary>
internal sealed class InventoryServer
{
    private readonly Dictionary<(string Bucket, string Key), byte[]> _objects = new();
    private readonly Dictionary<(string Bucket, string Id), string> _configurations = new();

    public InventoryServer() => Http = new FakeS3(Answer);

    public FakeS3 Http { get; }

    public int PageSize { get; set; } = 1000;

    /// <summary>Called before each request is answered; a test can fail one there.</summary>
    public Func<RecordedRequest, HttpResponseMessage?>? Before { get; set; }

    public AmazonS3Client Client() => Http.Client();

    public void Put(string bucket, string key, byte[] bytes) => _objects[(bucket, key)] = bytes;

    public void Put(string bucket, string key, string text) => Put(bucket, key, Encoding.UTF8.GetBytes(text));

    /// <summary>A delivery as S3 writes it: the data files, then manifest.json, then (when complete) manifest.checksum.</summary>
    public string Deliver(string destination, string folder, string delivery, string sourceBucket, string format, string schema, DateTime created,
        IReadOnlyList<byte[]> files, bool complete = true, string extension = "csv.gz")
    {
        var named = files.Select((bytes, index) => ($"{folder}data/{delivery}-{index}.{extension}", bytes)).ToList();
        foreach (var (key, bytes) in named)
        {
            Put(destination, key, bytes);
        }
        var manifest = InventoryFiles.Manifest(sourceBucket, destination, format, schema, created, named);
        Put(destination, $"{folder}{delivery}/manifest.json", manifest);
        if (complete)
        {
            Put(destination, $"{folder}{delivery}/manifest.checksum", InventoryFiles.Md5(Encoding.UTF8.GetBytes(manifest)));
        }
        return $"s3://{destination}/{folder}{delivery}/manifest.json";
    }

    public void Configure(string bucket, string id, string destinationArn, string? prefix, string format, string? filterPrefix = null) =>
        _configurations[(bucket, id)] = $"""
            <InventoryConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Id>{id}</Id><IsEnabled>true</IsEnabled>
              {(filterPrefix is null ? "" : $"<Filter><Prefix>{SecurityElement.Escape(filterPrefix)}</Prefix></Filter>")}
              <Destination><S3BucketDestination><Format>{format}</Format><AccountId>111122223333</AccountId><Bucket>{destinationArn}</Bucket>
                {(prefix is null ? "" : $"<Prefix>{SecurityElement.Escape(prefix)}</Prefix>")}</S3BucketDestination></Destination>
              <Schedule><Frequency>Daily</Frequency></Schedule>
              <IncludedObjectVersions>All</IncludedObjectVersions>
              <OptionalFields><Field>Size</Field><Field>LastModifiedDate</Field><Field>ETag</Field></OptionalFields>
            </InventoryConfiguration>
            """;

    /// <summary>How ListObjectsV2 gives an object, for comparing a listing's record with an inventory's.</summary>
    public static string ListingOf(S3ObjectRecord record) =>
        $"<Contents><Key>{SecurityElement.Escape(record.Key)}</Key><LastModified>{record.LastModified:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}</LastModified>" +
        $"<ETag>{SecurityElement.Escape(record.ETag)}</ETag>{(record.ChecksumAlgorithm is null ? "" : $"<ChecksumAlgorithm>{record.ChecksumAlgorithm}</ChecksumAlgorithm>")}" +
        $"<Size>{record.Size}</Size><StorageClass>{record.StorageClass}</StorageClass></Contents>";

    private HttpResponseMessage Answer(RecordedRequest request)
    {
        if (Before?.Invoke(request) is { } early)
        {
            return early;
        }
        var path = request.Uri.AbsolutePath.TrimStart('/');
        var slash = path.IndexOf('/');
        var bucket = Uri.UnescapeDataString(slash < 0 ? path : path.Substring(0, slash));
        var key = slash < 0 ? "" : Uri.UnescapeDataString(path.Substring(slash + 1));
        var query = HttpUtility.ParseQueryString(request.Uri.Query);
        var flags = query.GetValues(null) ?? Array.Empty<string>();
        if (key.Length == 0 && flags.Contains("inventory"))
        {
            return _configurations.TryGetValue((bucket, query["id"] ?? ""), out var configuration)
                ? FakeS3.Xml(configuration)
                : FakeS3.Xml("<Error><Code>NoSuchConfiguration</Code><Message>The specified configuration does not exist.</Message></Error>", HttpStatusCode.NotFound);
        }
        if (key.Length == 0 && query["list-type"] == "2")
        {
            return FakeS3.Xml(List(bucket, query["prefix"] ?? "", query["delimiter"], int.Parse(query["continuation-token"] ?? "0")));
        }
        if (request.Method == HttpMethod.Get && _objects.TryGetValue((bucket, key), out var bytes))
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) };
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"" + InventoryFiles.Md5(bytes) + "\"");
            return response;
        }
        return FakeS3.Xml("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>", HttpStatusCode.NotFound);
    }

    private string List(string bucket, string prefix, string? delimiter, int start)
    {
        var entries = _objects.Keys.Where(entry => entry.Bucket == bucket && entry.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(entry =>
            {
                var rest = entry.Key.Substring(prefix.Length);
                var cut = delimiter is null ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
                return cut < 0 ? (Name: entry.Key, Folder: false) : (Name: prefix + rest.Substring(0, cut + delimiter!.Length), Folder: true);
            })
            .Distinct().OrderBy(entry => entry.Name, StringComparer.Ordinal).ToList();
        var page = entries.Skip(start).Take(PageSize).ToList();
        var truncated = start + page.Count < entries.Count;
        var body = string.Concat(page.Select(entry => entry.Folder
            ? $"<CommonPrefixes><Prefix>{SecurityElement.Escape(entry.Name)}</Prefix></CommonPrefixes>"
            : $"<Contents><Key>{SecurityElement.Escape(entry.Name)}</Key><LastModified>2026-12-01T00:00:00.000Z</LastModified><ETag>&quot;{InventoryFiles.Md5(_objects[(bucket, entry.Name)])}&quot;</ETag>" +
              $"<Size>{_objects[(bucket, entry.Name)].Length}</Size><StorageClass>STANDARD</StorageClass></Contents>"));
        return $"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name><Prefix>{SecurityElement.Escape(prefix)}</Prefix>" +
            $"<KeyCount>{page.Count}</KeyCount><MaxKeys>{PageSize}</MaxKeys>{(delimiter is null ? "" : $"<Delimiter>{delimiter}</Delimiter>")}" +
            $"<IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>{(truncated ? $"<NextContinuationToken>{start + page.Count}</NextContinuationToken>" : "")}" +
            $"{body}</ListBucketResult>";
    }
}
