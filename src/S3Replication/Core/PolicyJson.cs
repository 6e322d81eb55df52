using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace S3Replication.Core;

/// <summary>
/// The JSON every IAM policy shares, trust, identity and bucket policies alike: an object whose Statement is one
/// statement object or a list of them. Pure: no I/O.
/// </summary>
internal static class PolicyJson
{
    /// <summary>
    /// IAM answers policy documents URL-encoded (RFC 3986); Ceph RGW and S3 bucket policies answer raw JSON. Only an
    /// encoded document starts with '%' (an encoded '{'), so raw JSON is never decoded a second time. Decoded the way
    /// botocore's unquote does: '+' stays '+', as IAM encodes a plus sign as %2B.
    /// </summary>
    public static string Decode(string document)
    {
        var text = document.Trim();
        return text.StartsWith("%", StringComparison.Ordinal) ? Uri.UnescapeDataString(text) : text;
    }

    /// <summary>
    /// The policy's root object, decoded first when URL-encoded. A document that is not JSON, has no Statement, or
    /// holds a statement that is not an object becomes the caller's exception, built from a phrase naming the problem.
    /// </summary>
    public static JsonObject Parse(string document, Func<string, Exception?, Exception> malformed)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(Decode(document));
        }
        catch (JsonException error)
        {
            throw malformed($"it is not valid JSON ({error.Message})", error);
        }
        if (node is not JsonObject root || root["Statement"] is not (JsonArray or JsonObject))
        {
            throw malformed("it has no Statement list", null);
        }
        if (StatementsOf(root).Any(statement => statement is not JsonObject))
        {
            throw malformed("a statement is not a JSON object", null);
        }
        return root;
    }

    public static IEnumerable<JsonNode?> StatementsOf(JsonObject root) =>
        root["Statement"] is JsonArray array ? array : new[] { root["Statement"] };
}
