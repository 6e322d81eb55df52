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
        string.Join(",", item.Bucket, EncodeKey(item.Key)) + (pinned ? "," + VersionOf(item) : "") + "\n";

    /// <summary>The version a pinned row names: the object's, or "null" for a null version.</summary>
    public static string VersionOf(S3ObjectRecord item) => item.VersionId ?? "null";

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

/// <summary>One task of a completion report: a manifest row (its key as the report spells it) and what became of it.</summary>
internal sealed record BatchTaskResult(string Bucket, string ReportKey, string? VersionId, string TaskStatus, string? HttpStatusCode, string? ErrorCode, string? ResultMessage)
{
    /// <summary>
    /// The key read as this module's manifests encode keys (percent-encoding, '+' kept); a report that writes a space as
    /// '+' has other readings too (<see cref="BatchReport.KeyReadings"/>).
    /// </summary>
    public string Key => Uri.UnescapeDataString(ReportKey);
}

/// <summary>
/// Reads a Batch Operations completion report: <c>job-&lt;id&gt;/manifest.json</c> names the result files, whose rows
/// are Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage (HTTPStatusCode before ErrorCode, keys
/// URL-encoded, CRLF line ends, the message quoted when it holds a comma).
/// </summary>
/// <remarks>
/// AWS documents no encoding for a completion report's keys. The manifests this module writes percent-encode them
/// (' ' as %20, '+' as %2B); code written against real compute-checksum reports decodes them as form-encoded text
/// (Python's unquote_plus: '+' is a space), as S3 Inventory reports are. A key is therefore read both ways where the
/// two differ (<see cref="KeyReadings"/>), and whoever joins rows to keys must allow for both.
/// </remarks>
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

    public static IEnumerable<BatchTaskResult> Rows(string csv) =>
        csv.Split('\n').Select(Row).Where(row => row is not null).Select(row => row!);

    /// <summary>One line of a result file (its CR, if any, ignored); null for an empty line.</summary>
    public static BatchTaskResult? Row(string line)
    {
        var row = line.TrimEnd('\r');
        if (row.Length == 0)
        {
            return null;
        }
        var fields = CsvRow.Fields(row);
        string? Field(int index) => index < fields.Count && fields[index].Length > 0 ? fields[index] : null;
        return new BatchTaskResult(fields[0], Field(1) ?? "", Field(2), Field(3) ?? "", Field(4), Field(5), Field(6));
    }

    /// <summary>
    /// The keys a report's key can stand for: percent-decoded with '+' kept, and percent-decoded with '+' as a space
    /// (form encoding); one where the two agree (no '+' in it).
    /// </summary>
    public static IReadOnlyList<string> KeyReadings(string reportKey)
    {
        var kept = Uri.UnescapeDataString(reportKey);
        if (reportKey.IndexOf('+') < 0)
        {
            return new[] { kept };
        }
        var spaced = Uri.UnescapeDataString(reportKey.Replace('+', ' '));
        return spaced == kept ? new[] { kept } : new[] { kept, spaced };
    }
}
