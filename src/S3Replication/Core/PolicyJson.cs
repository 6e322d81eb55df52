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
            ReadWhole(node);
        }
        catch (JsonException error)
        {
            throw malformed($"it is not valid JSON ({error.Message})", error);
        }
        catch (ArgumentException error)
        {
            throw malformed("it repeats a key within one object", error);
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

    /// <summary>
    /// JsonNode reads an object's members on first use and only then fails on a repeated key (ArgumentException):
    /// reading every object now turns that into a malformed document here rather than a crash later.
    /// </summary>
    private static void ReadWhole(JsonNode? node)
    {
        foreach (var child in node switch
        {
            JsonObject members => members.Select(member => member.Value),
            JsonArray items => items,
            _ => Enumerable.Empty<JsonNode?>(),
        })
        {
            ReadWhole(child);
        }
    }

    public static IEnumerable<JsonNode?> StatementsOf(JsonObject root) =>
        root["Statement"] is JsonArray array ? array : new[] { root["Statement"] };
}
