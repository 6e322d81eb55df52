using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using System.Text.Json.Nodes;
using S3Replication.Core;

namespace S3Replication.Trust;

/// <summary>One principal named by a trust-policy statement.</summary>
internal sealed record TrustPrincipal(int StatementIndex, string? Sid, string Effect, string Type, string Value, bool IsNotPrincipal, bool HasCondition, IReadOnlyList<string> Actions)
{
    /// <summary>IAM shows a principal that was deleted as its unique id (AIDA… users, AROA… roles) instead of an ARN.</summary>
    public bool IsOrphaned => Type == "AWS" && PrincipalNames.IsUniqueId(Value);
}

/// <summary>
/// An IAM role trust policy edited without losing anything: statement order, Sid, Condition, unknown keys, a
/// Principal given as a string or an array, "*", Service/Federated/AWS/CanonicalUser principals and NotPrincipal
/// all survive; only the one principal being added or removed changes. Pure: no I/O.
/// </summary>
internal sealed class TrustPolicyDocument
{
    public const string AssumeRoleAction = "sts:AssumeRole";
    public const string NewStatementSid = "S3BackupOperators";
    public const string NewServiceStatementSid = "S3BackupServices";
    private static readonly string[] PrincipalTypes = { "AWS", "Service", "Federated", "CanonicalUser" };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly JsonObject _root;

    private TrustPolicyDocument(JsonObject root) => _root = root;

    /// <summary>Accepts the URL-encoded document AWS returns and the raw JSON other servers (Ceph RGW) return.</summary>
    public static TrustPolicyDocument Parse(string document, string roleName) =>
        new(PolicyJson.Parse(document, (problem, inner) => Malformed(roleName, problem, inner)));

    private static S3BackupException Malformed(string roleName, string problem, Exception? inner) =>
        new(ErrorId.MalformedPolicyDocument, ErrorCategory.InvalidData,
            $"The trust policy of role {roleName} cannot be edited safely: {problem}. Nothing was changed.", roleName, inner);

    private IReadOnlyList<JsonObject> Statements => PolicyJson.StatementsOf(_root).Cast<JsonObject>().ToList();

    public int StatementCount => Statements.Count;

    public IReadOnlyList<TrustPrincipal> Principals
    {
        get
        {
            var principals = new List<TrustPrincipal>();
            var statements = Statements;
            for (var index = 0; index < statements.Count; index++)
            {
                var statement = statements[index];
                var sid = statement["Sid"]?.GetValue<string>();
                var effect = statement["Effect"]?.GetValue<string>() ?? "";
                var actions = Strings(statement["Action"]);
                var hasCondition = statement["Condition"] is not null;
                foreach (var (key, isNot) in new[] { ("Principal", false), ("NotPrincipal", true) })
                {
                    switch (statement[key])
                    {
                        case JsonValue wildcard:
                            principals.Add(new TrustPrincipal(index, sid, effect, "*", wildcard.GetValue<string>(), isNot, hasCondition, actions));
                            break;
                        case JsonObject byType:
                            foreach (var entry in byType)
                            {
                                principals.AddRange(Strings(entry.Value).Select(value =>
                                    new TrustPrincipal(index, sid, effect, entry.Key, value, isNot, hasCondition, actions)));
                            }
                            break;
                    }
                }
            }
            return principals;
        }
    }

    /// <summary>Trusted to assume the role without conditions: an Allow statement for sts:AssumeRole naming it.</summary>
    public bool Trusts(string principal) =>
        Principals.Any(candidate => candidate.Type == TypeOf(principal) && candidate.Value == principal && IsUnconditionalAssumeRole(candidate));

    /// <summary>The Principal key that names it: Service for an AWS service (s3.amazonaws.com), AWS for everything else.</summary>
    public static string TypeOf(string principal) => PrincipalNames.Classify(principal) == PrincipalKind.Service ? "Service" : "AWS";

    private static bool IsUnconditionalAssumeRole(TrustPrincipal principal) =>
        principal.Effect == "Allow" && !principal.IsNotPrincipal && !principal.HasCondition
        && principal.Actions.Any(action => string.Equals(action, AssumeRoleAction, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Adds a principal to the first unconditional Allow sts:AssumeRole statement that names principals of its type (AWS,
    /// or Service for an AWS service), or appends such a statement (Sid S3BackupOperators, or S3BackupServices).
    /// Returns this document when the principal is already trusted.
    /// </summary>
    public TrustPolicyDocument WithPrincipal(string principal)
    {
        var type = TypeOf(principal);
        if (Trusts(principal))
        {
            return this;
        }
        var copy = Clone();
        var target = copy.Statements.FirstOrDefault(statement =>
            statement["Effect"]?.GetValue<string>() == "Allow" && statement["Condition"] is null && statement["NotPrincipal"] is null
            && Strings(statement["Action"]).Any(action => string.Equals(action, AssumeRoleAction, StringComparison.OrdinalIgnoreCase))
            && statement["Principal"] is JsonObject byType && byType[type] is not null);
        if (target is not null)
        {
            var principals = (JsonObject)target["Principal"]!;
            if (principals[type] is JsonArray list)
            {
                list.Add(JsonValue.Create(principal));
            }
            else
            {
                principals[type] = new JsonArray(JsonValue.Create(principals[type]!.GetValue<string>()), JsonValue.Create(principal));
            }
            return copy;
        }

        var statement = new JsonObject
        {
            ["Sid"] = copy.UniqueSid(type == "Service" ? NewServiceStatementSid : NewStatementSid),
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { [type] = principal },
            ["Action"] = AssumeRoleAction,
        };
        if (copy._root["Statement"] is JsonArray statements)
        {
            statements.Add(statement);
        }
        else
        {
            var only = copy._root["Statement"]!;
            copy._root["Statement"] = new JsonArray(only.DeepClone(), statement);
        }
        return copy;
    }

    /// <summary>
    /// Removes the principal wherever a Principal names it (NotPrincipal is left alone), turning one-element lists
    /// back into strings and dropping statements left with no principal. Returns this document when nothing names it.
    /// </summary>
    public TrustPolicyDocument WithoutPrincipal(string principal)
    {
        if (!Principals.Any(candidate => !candidate.IsNotPrincipal && candidate.Value == principal))
        {
            return this;
        }
        var copy = Clone();
        var emptied = new List<JsonObject>();
        foreach (var statement in copy.Statements)
        {
            switch (statement["Principal"])
            {
                case JsonValue wildcard when wildcard.GetValue<string>() == principal:
                    emptied.Add(statement);
                    break;
                case JsonObject byType:
                    foreach (var type in byType.Select(entry => entry.Key).ToList())
                    {
                        var remaining = Strings(byType[type]).Where(value => value != principal).ToList();
                        if (remaining.Count == 0)
                        {
                            byType.Remove(type);
                        }
                        else if (remaining.Count != Strings(byType[type]).Count)
                        {
                            byType[type] = remaining.Count == 1 ? JsonValue.Create(remaining[0]) : new JsonArray(remaining.Select(value => (JsonNode?)JsonValue.Create(value)).ToArray());
                        }
                    }
                    if (byType.Count == 0)
                    {
                        emptied.Add(statement);
                    }
                    break;
            }
        }
        if (copy._root["Statement"] is JsonArray statements)
        {
            foreach (var statement in emptied)
            {
                statements.Remove(statement);
            }
        }
        else if (emptied.Count > 0)
        {
            copy._root["Statement"] = new JsonArray();
        }
        return copy;
    }

    public string ToJson() => _root.ToJsonString(Indented);

    /// <summary>IAM's size quota counts the policy's characters without white space.</summary>
    public int QuotaSize => _root.ToJsonString().Count(character => !char.IsWhiteSpace(character));

    private string UniqueSid(string wanted)
    {
        var taken = new HashSet<string?>(Statements.Select(statement => statement["Sid"]?.GetValue<string>()), StringComparer.Ordinal);
        var sid = wanted;
        for (var suffix = 2; taken.Contains(sid); suffix++)
        {
            sid = wanted + suffix;
        }
        return sid;
    }

    private TrustPolicyDocument Clone() => new((JsonObject)_root.DeepClone());

    private static IReadOnlyList<string> Strings(JsonNode? node) => node switch
    {
        JsonArray list => list.Select(item => item?.GetValue<string>() ?? "").ToList(),
        JsonValue value => new[] { value.GetValue<string>() },
        _ => Array.Empty<string>(),
    };
}
