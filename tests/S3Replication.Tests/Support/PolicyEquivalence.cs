using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using S3Replication.Trust;

namespace S3Replication.Tests.Support;

internal static class PolicyEquivalence
{
    /// <summary>Equal as IAM policies: key order, white space and "x" versus ["x"] (also a lone statement) do not matter.</summary>
    public static bool AreEquivalent(TrustPolicyDocument a, TrustPolicyDocument b) =>
        Normalize(JsonNode.Parse(a.ToJson()))!.ToJsonString() == Normalize(JsonNode.Parse(b.ToJson()))!.ToJsonString();

    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject value => new JsonObject(value.OrderBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => new KeyValuePair<string, JsonNode?>(entry.Key, Normalize(entry.Value)))),
        JsonArray { Count: 1 } single => Normalize(single[0]),
        JsonArray list => new JsonArray(list.Select(Normalize).ToArray()),
        _ => node?.DeepClone(),
    };
}
