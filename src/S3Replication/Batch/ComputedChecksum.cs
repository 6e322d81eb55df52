using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using S3Replication.Core;

namespace S3Replication.Batch;

/// <summary>
/// A full-object checksum S3 Batch Operations computed for one task of an S3ComputeObjectChecksum job: its bytes, and its
/// algorithm (the one the report names, or where it names none the one the job asked for; upper case).
/// </summary>
internal sealed record ComputedChecksum(string Algorithm, byte[] Value)
{
    /// <summary>The checksum as S3 writes checksums (x-amz-checksum-*): base64 of its big-endian bytes.</summary>
    public string Base64 => Convert.ToBase64String(Value);

    /// <summary>The same bytes by the same algorithm.</summary>
    public bool SameAs(ComputedChecksum other) => string.Equals(Algorithm, other.Algorithm, StringComparison.OrdinalIgnoreCase) && Value.SequenceEqual(other.Value);
}

/// <summary>
/// Reads the checksum out of a succeeded task's ResultMessage in an S3ComputeObjectChecksum completion report.
/// </summary>
/// <remarks>
/// AWS documents the report's columns (Bucket, Key, VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage) and
/// says that for Compute checksum jobs "the completion report contains checksum values for every object" (User Guide,
/// "Examples: S3 Batch Operations completion reports"), but, as far as the stored copies of the User Guide, the API
/// reference and the AWS SDKs we could search show, gives no example of a compute-checksum ResultMessage. The shape read
/// first is the one that code written against real reports parses — a JSON object
/// <c>{"checksum_base64": …, "checksum_hex": …, "checksumAlgorithm": …, "checksumType": …, "etag": …}</c> — which is an
/// observation of others, not AWS's word, so it is read defensively: member names in any case, with or without
/// underscores; the checksum as base64 or as hex (told apart by the length the algorithm's digest has); a message that is
/// the bare checksum; and anything else (a missing or contradictory checksum, another algorithm or a checksum type other
/// than the FULL_OBJECT asked for) as unreadable, never as a match.
/// </remarks>
internal static class ComputedChecksumMessage
{
    /// <summary>Digest lengths in bytes of the algorithms a computed-checksum compare asks for (-ChecksumAlgorithm).</summary>
    private static readonly Dictionary<string, int> DigestBytes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CRC32"] = 4, ["CRC32C"] = 4, ["CRC64NVME"] = 8, ["MD5"] = 16, ["SHA1"] = 20, ["SHA256"] = 32, ["SHA512"] = 64,
    };

    /// <summary>A value present but not a checksum: an empty array marks it, so it is reported, never ignored.</summary>
    private static readonly byte[] Unreadable = Array.Empty<byte>();

    /// <summary>
    /// The checksum in <paramref name="message"/>, computed with <paramref name="requested"/> (the job's algorithm), or
    /// null with <paramref name="problem"/> saying why it cannot be read.
    /// </summary>
    public static ComputedChecksum? Parse(string? message, string requested, out string? problem)
    {
        problem = null;
        var text = message?.Trim() ?? "";
        if (text.Length == 0)
        {
            problem = "the report gives no ResultMessage";
            return null;
        }
        if (!text.StartsWith("{", StringComparison.Ordinal))
        {
            // The message as the bare checksum.
            if (Decode(text, DigestLength(requested)) is { } bare)
            {
                return new ComputedChecksum(requested.ToUpperInvariant(), bare);
            }
            problem = $"the ResultMessage is neither JSON nor a {requested} checksum: '{Shorten(text)}'";
            return null;
        }
        Dictionary<string, string> members;
        try
        {
            members = Members(text);
        }
        catch (JsonException error)
        {
            problem = $"the ResultMessage is not valid JSON ({error.Message}): '{Shorten(text)}'";
            return null;
        }
        var algorithm = Member(members, "checksumalgorithm", "algorithm") ?? requested;
        if (!string.Equals(algorithm, requested, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"the report names the algorithm {algorithm}, but the job asked for {requested}";
            return null;
        }
        if (Member(members, "checksumtype", "type") is { } type && !string.Equals(type, BatchComputeChecksum.FullObject, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"the report names the checksum type {type}, but the job asked for {BatchComputeChecksum.FullObject}";
            return null;
        }
        var length = DigestLength(algorithm);
        var fromBase64 = Member(members, "checksumbase64") is { } base64 ? Decode(base64, length, hex: false) ?? Unreadable : null;
        var fromHex = Member(members, "checksumhex") is { } hex ? Decode(hex, length, hex: true) ?? Unreadable : null;
        var plain = Member(members, "checksum", "checksumvalue", "value") is { } value ? Decode(value, length) ?? Unreadable : null;
        var found = new[] { fromBase64, fromHex, plain }.Where(bytes => bytes is not null).Select(bytes => bytes!).ToList();
        if (found.Count == 0)
        {
            problem = $"the ResultMessage names no checksum: '{Shorten(text)}'";
            return null;
        }
        if (found.Any(bytes => bytes.Length == 0))
        {
            problem = $"the ResultMessage's checksum is not a {algorithm} checksum in base64 or hex: '{Shorten(text)}'";
            return null;
        }
        if (found.Skip(1).Any(bytes => !bytes.SequenceEqual(found[0])))
        {
            problem = $"the ResultMessage gives two different checksums: '{Shorten(text)}'";
            return null;
        }
        return new ComputedChecksum(algorithm.ToUpperInvariant(), found[0]);
    }

    /// <summary>The digest length of <paramref name="algorithm"/> in bytes; null for one this module does not know.</summary>
    private static int? DigestLength(string algorithm) => DigestBytes.TryGetValue(algorithm, out var length) ? length : null;

    /// <summary>A string member's value by any of its normalised names (lower case, no underscores or dashes).</summary>
    private static string? Member(Dictionary<string, string> members, params string[] names) =>
        names.Select(name => members.TryGetValue(name, out var value) && value.Trim().Length > 0 ? value.Trim() : null).FirstOrDefault(value => value is not null);

    private static Dictionary<string, string> Members(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("not an object");
        }
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String)
            {
                members[property.Name.Replace("_", "").Replace("-", "").ToLowerInvariant()] = property.Value.GetString()!;
            }
        }
        return members;
    }

    /// <summary>
    /// The bytes of a checksum given as hex or base64 (<paramref name="hex"/>: which, where the member's name says), of
    /// <paramref name="length"/> bytes where known; null where it is neither. With a known length the two cannot be
    /// confused: hex takes 2n characters, base64 4⌈n/3⌉ (for 4 bytes both take 8, but base64 then ends in "==").
    /// </summary>
    private static byte[]? Decode(string text, int? length, bool? hex = null)
    {
        if (hex != false && text.Length % 2 == 0 && text.All(Uri.IsHexDigit) && (length is null || text.Length == length * 2))
        {
            return Hex.Parse(text);
        }
        if (hex != true)
        {
            try
            {
                var bytes = Convert.FromBase64String(text);
                if (bytes.Length > 0 && (length is null || bytes.Length == length))
                {
                    return bytes;
                }
            }
            catch (FormatException)
            {
            }
        }
        return null;
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text.Substring(0, 117) + "...";
}
