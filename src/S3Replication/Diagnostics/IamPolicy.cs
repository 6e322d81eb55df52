using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json.Nodes;
using S3Replication.Core;

namespace S3Replication.Diagnostics;

internal enum PolicyEffect { Allow, Deny }

/// <summary>
/// A pattern of an Action or Resource element: <c>*</c> stands for any run of characters (colons and slashes
/// included, as IAM lets a trailing <c>*</c> run past an ARN segment and S3 object keys may hold colons), <c>?</c> for
/// any one character. Matched without regular expressions, in time proportional to pattern × value at worst, so a
/// policy with many wildcards cannot make a check backtrack for ever.
/// </summary>
internal sealed class WildcardPattern
{
    private const int AnyRun = -1;
    private const int AnyOne = -2;

    /// <summary>Character codes, or AnyRun / AnyOne for the wildcards (an escaped <c>${*}</c> is the character).</summary>
    private readonly int[] _tokens;
    private readonly bool _ignoreCase;

    private WildcardPattern(int[] tokens, bool ignoreCase, bool hasVariable)
    {
        _tokens = tokens;
        _ignoreCase = ignoreCase;
        HasVariable = hasVariable;
    }

    /// <summary>
    /// The pattern holds a policy variable such as <c>${aws:username}</c>, whose value belongs to the request and is
    /// not known here; it is matched as if it were <c>*</c>, so a match means only "could match".
    /// </summary>
    public bool HasVariable { get; }

    /// <summary>Action names (<c>s3:GetObject</c>) compare without regard to case.</summary>
    public static WildcardPattern ForAction(string pattern) => Compile(pattern, variables: false, ignoreCase: true);

    /// <summary>ARNs compare case-sensitively; <paramref name="variables"/>: the policy is in language version 2012-10-17, the only one with variables.</summary>
    public static WildcardPattern ForResource(string pattern, bool variables) => Compile(pattern, variables, ignoreCase: false);

    private static WildcardPattern Compile(string pattern, bool variables, bool ignoreCase)
    {
        var tokens = new List<int>(pattern.Length);
        var hasVariable = false;
        for (var index = 0; index < pattern.Length; index++)
        {
            var end = variables && string.CompareOrdinal(pattern, index, "${", 0, 2) == 0 ? pattern.IndexOf('}', index + 2) : -1;
            if (end > 0)
            {
                // ${*}, ${?} and ${$} are how the policy language writes those characters literally.
                var name = pattern.Substring(index + 2, end - index - 2);
                var isEscape = name is "*" or "?" or "$";
                hasVariable |= !isEscape;
                tokens.Add(isEscape ? name[0] : AnyRun);
                index = end;
                continue;
            }
            tokens.Add(pattern[index] switch
            {
                '*' => AnyRun,
                '?' => AnyOne,
                var character => character,
            });
        }
        return new WildcardPattern(tokens.ToArray(), ignoreCase, hasVariable);
    }

    public bool Matches(string value)
    {
        // Walk both; at a mismatch go back to the last * and let it take one more character.
        int token = 0, position = 0, lastRun = -1, runEnd = 0;
        while (position < value.Length)
        {
            if (token < _tokens.Length && (_tokens[token] == AnyOne || (_tokens[token] >= 0 && Same((char)_tokens[token], value[position]))))
            {
                token++;
                position++;
            }
            else if (token < _tokens.Length && _tokens[token] == AnyRun)
            {
                lastRun = token++;
                runEnd = position;
            }
            else if (lastRun >= 0)
            {
                token = lastRun + 1;
                position = ++runEnd;
            }
            else
            {
                return false;
            }
        }
        while (token < _tokens.Length && _tokens[token] == AnyRun)
        {
            token++;
        }
        return token == _tokens.Length;
    }

    /// <summary>
    /// Whether some value that starts with <paramref name="prefix"/> matches: the pattern names part of what
    /// <c>prefix*</c> stands for (arn:aws:s3:::b/logs/* is part of arn:aws:s3:::b/*), or all of it.
    /// </summary>
    public bool MatchesSomethingStartingWith(string prefix)
    {
        // The tokens the pattern may have reached after the prefix, * letting a run stay or move on.
        var reached = new HashSet<int> { 0 };
        foreach (var character in prefix)
        {
            var next = new HashSet<int>();
            foreach (var token in Closure(reached))
            {
                if (token == _tokens.Length)
                {
                    continue;
                }
                if (_tokens[token] == AnyRun)
                {
                    next.Add(token);
                }
                else if (_tokens[token] == AnyOne || Same((char)_tokens[token], character))
                {
                    next.Add(token + 1);
                }
            }
            if (next.Count == 0)
            {
                return false;
            }
            reached = next;
        }
        return true;
    }

    private HashSet<int> Closure(HashSet<int> tokens)
    {
        var closed = new HashSet<int>(tokens);
        foreach (var token in tokens)
        {
            for (var run = token; run < _tokens.Length && _tokens[run] == AnyRun; run++)
            {
                closed.Add(run + 1);
            }
        }
        return closed;
    }

    private bool Same(char expected, char actual) =>
        expected == actual || (_ignoreCase && char.ToUpperInvariant(expected) == char.ToUpperInvariant(actual));
}

/// <summary>Action or NotAction, Resource or NotResource: the patterns, and whether they name what the statement leaves out.</summary>
internal sealed record PatternElement(IReadOnlyList<WildcardPattern> Patterns, bool IsNot);

/// <summary>
/// Principal or NotPrincipal, reduced to its AWS principals: <c>"*"</c> is kept as the AWS principal <c>*</c> (for
/// a role both mean everyone); Service, Federated and CanonicalUser principals never name a role and are not kept.
/// </summary>
internal sealed record PrincipalElement(IReadOnlyList<string> AwsPrincipals, bool IsNot);

/// <summary>One statement as the evaluator needs it; Number counts from 1 in the policy's order.</summary>
internal sealed record PolicyStatement(int Number, string? Sid, PolicyEffect Effect, PatternElement Actions, PatternElement Resources,
    PrincipalElement? Principals, bool HasCondition)
{
    public string Label => Sid ?? $"statement {Number}";
}

/// <summary>
/// An IAM JSON policy (identity or resource based) read for evaluation, not for editing: its statements typed, every
/// element checked, so a policy that IAM could not hold is refused here with a message that says where. Pure: no I/O.
/// </summary>
internal sealed class IamPolicyDocument
{
    private const string VariablesVersion = "2012-10-17";

    private IamPolicyDocument(string name, IReadOnlyList<PolicyStatement> statements)
    {
        Name = name;
        Statements = statements;
    }

    /// <summary>The policy's name or ARN as verdicts show it.</summary>
    public string Name { get; }

    public IReadOnlyList<PolicyStatement> Statements { get; }

    /// <summary>Reads raw JSON or the URL-encoded document IAM answers; <paramref name="name"/> is what messages and verdicts call the policy.</summary>
    public static IamPolicyDocument Parse(string json, string name)
    {
        S3BackupException Malformed(string problem, Exception? inner) =>
            new(ErrorId.MalformedPolicyDocument, ErrorCategory.InvalidData, $"Cannot read {name}: {problem}.", name, inner);

        var root = PolicyJson.Parse(json, Malformed);
        var variables = TextOf(root["Version"]) == VariablesVersion;
        var statements = PolicyJson.StatementsOf(root).Cast<JsonObject>()
            .Select((statement, index) => ParseStatement(statement, index + 1, variables, problem => Malformed($"in statement {index + 1}, {problem}", null)))
            .ToList();
        return new IamPolicyDocument(name, statements);
    }

    private static PolicyStatement ParseStatement(JsonObject statement, int number, bool variables, Func<string, Exception> malformed)
    {
        var sid = statement["Sid"] is { } sidNode ? TextOf(sidNode) ?? throw malformed("Sid is not a string") : null;
        var effect = TextOf(statement["Effect"]) switch
        {
            "Allow" => PolicyEffect.Allow,
            "Deny" => PolicyEffect.Deny,
            _ => throw malformed("Effect is not Allow or Deny"),
        };
        var (actionsNode, notAction) = EitherOf(statement, "Action", malformed) ?? throw malformed("there is neither Action nor NotAction");
        var (resourcesNode, notResource) = EitherOf(statement, "Resource", malformed) ?? throw malformed("there is neither Resource nor NotResource");
        var actions = new PatternElement(Strings(actionsNode, notAction ? "NotAction" : "Action", malformed).Select(WildcardPattern.ForAction).ToList(), notAction);
        var resources = new PatternElement(Strings(resourcesNode, notResource ? "NotResource" : "Resource", malformed)
            .Select(pattern => WildcardPattern.ForResource(pattern, variables)).ToList(), notResource);
        var hasCondition = statement["Condition"] switch
        {
            null => false,
            JsonObject conditions => conditions.Count > 0,
            _ => throw malformed("Condition is not an object"),
        };
        return new PolicyStatement(number, sid, effect, actions, resources, Principals(statement, malformed), hasCondition);
    }

    /// <summary>The element <paramref name="key"/> or Not<paramref name="key"/> (and which), null when neither is there.</summary>
    private static (JsonNode Node, bool IsNot)? EitherOf(JsonObject statement, string key, Func<string, Exception> malformed) =>
        (statement[key], statement["Not" + key]) switch
        {
            (not null, not null) => throw malformed($"there are both {key} and Not{key}"),
            ({ } given, null) => (given, false),
            (null, { } given) => (given, true),
            _ => null,
        };

    private static PrincipalElement? Principals(JsonObject statement, Func<string, Exception> malformed)
    {
        if (EitherOf(statement, "Principal", malformed) is not { } element)
        {
            return null;
        }
        var (node, isNot) = element;
        var key = isNot ? "NotPrincipal" : "Principal";
        return node switch
        {
            JsonValue when TextOf(node) == "*" => new PrincipalElement(new[] { "*" }, isNot),
            JsonObject byType => new PrincipalElement(byType
                .Select(entry => (entry.Key, Values: Strings(entry.Value, $"{key}.{entry.Key}", malformed)))
                .Where(entry => entry.Key == "AWS").SelectMany(entry => entry.Values).ToList(), isNot),
            _ => throw malformed($"{key} is neither \"*\" nor an object of principals"),
        };
    }

    private static IReadOnlyList<string> Strings(JsonNode? node, string key, Func<string, Exception> malformed)
    {
        var texts = node is JsonArray list ? list.Select(TextOf).ToList() : new List<string?> { TextOf(node) };
        return texts.All(text => text is not null) ? texts.Select(text => text!).ToList() : throw malformed($"{key} is not a string or a list of strings");
    }

    /// <summary>The JSON string's text, or null for anything else.</summary>
    private static string? TextOf(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
