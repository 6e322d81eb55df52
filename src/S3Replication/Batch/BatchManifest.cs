using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Batch;

/// <summary>
/// The CSV manifest a Batch Operations job reads (S3BatchOperations_CSV_20180820 with Bucket,Key,VersionId, or Bucket,Key
/// for current objects; no header): keys URL-encoded with '/' kept, a pinned row naming the version planned ("null" for a
/// null version).
/// </summary>
internal static class BatchManifest
{
    /// <summary>The largest object S3PutObjectCopy copies (one CopyObject).</summary>
    public const long MaxCopySize = 5L * 1024 * 1024 * 1024;

    /// <param name="pinned">
    /// With the VersionId column (<see cref="BatchManifestLocation.Versioned"/>); without it (<see cref="BatchManifestLocation.Latest"/>)
    /// the job reads each key's current object.
    /// </param>
    public static string Row(S3ObjectRecord item, bool pinned = true) =>
        string.Join(",", item.Bucket, EncodeKey(item.Key)) + (pinned ? "," + (item.VersionId ?? "null") : "") + "\n";

    public static string EncodeKey(string key) => string.Join("/", key.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// The request token that makes a retried Start create no second job: the same manifest and parameters give the
    /// same token (S3 Control keeps a token for the job it created).
    /// </summary>
    public static string ClientRequestToken(string manifestSha256, string sourceBucket, string roleArn, int priority, bool confirmationRequired, string reportPrefix)
    {
        var text = string.Join("\n", manifestSha256, sourceBucket, roleArn, priority.ToString(CultureInfo.InvariantCulture),
            confirmationRequired ? "confirm" : "run", reportPrefix);
        // 24 bytes of the digest: 52 characters, inside CreateJob's 64-character limit.
        return "s3r-" + Hex.Sha256(text).Substring(0, 48);
    }
}

/// <summary>One task of a completion report: a manifest row and what became of it.</summary>
internal sealed record BatchTaskResult(string Bucket, string Key, string? VersionId, string TaskStatus, string? HttpStatusCode, string? ErrorCode, string? ResultMessage);

/// <summary>
/// Reads a Batch Operations completion report: <c>job-&lt;id&gt;/manifest.json</c> names the result files, whose rows
/// are Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage (HTTPStatusCode before ErrorCode, keys
/// URL-encoded, CRLF line ends, the message quoted when it holds a comma).
/// </summary>
internal static class BatchReport
{
    /// <summary>Where the report of a job lies: a prefix ending in '/' really gives "//job-", as S3 writes it.</summary>
    public static string JobFolder(string reportPrefix, string jobId) => $"{reportPrefix}/job-{jobId}";

    public static IReadOnlyList<string> ResultKeys(string manifestJson)
    {
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(manifestJson);
        return (manifest?["Results"]?.AsArray() ?? new System.Text.Json.Nodes.JsonArray())
            .Select(result => (string?)result?["Key"]).Where(key => key is not null).Select(key => key!).ToList();
    }

    public static IEnumerable<BatchTaskResult> Rows(string csv)
    {
        foreach (var line in csv.Split('\n'))
        {
            var row = line.TrimEnd('\r');
            if (row.Length == 0)
            {
                continue;
            }
            var fields = CsvRow.Fields(row);
            string? Field(int index) => index < fields.Count && fields[index].Length > 0 ? fields[index] : null;
            yield return new BatchTaskResult(fields[0], Uri.UnescapeDataString(Field(1) ?? ""), Field(2), Field(3) ?? "", Field(4), Field(5), Field(6));
        }
    }
}
