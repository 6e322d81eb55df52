using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Permissions;

/// <summary>When a listed permission is needed (the page's "Needed" column).</summary>
internal enum Needed
{
    Yes,
    Optional,
    IfAcl,
    IfOtherAccount,
    IfTagged,
    OnAws,
}

/// <summary>One row of a scenario's table on docs/PERMISSIONS.md.</summary>
internal sealed record PageRow(Grant Grant, Needed Needed, string Why)
{
    public override string ToString() => $"{Grant} ({Needed}: {Why})";
}

/// <summary>
/// Reads docs/PERMISSIONS.md: the table after each &lt;!-- scenario: id --&gt; marker (Action | Resource | Needed | What for,
/// code spans unwrapped) and the JSON policy after each &lt;!-- policy: name --&gt; marker.
/// </summary>
internal sealed class PermissionsPage
{
    private static readonly Regex Marker = new(@"^<!--\s*(?<kind>scenario|policy):\s*(?<id>[\w/-]+)\s*-->\s*$", RegexOptions.CultureInvariant);

    private PermissionsPage(IReadOnlyDictionary<string, IReadOnlyList<PageRow>> scenarios, IReadOnlyDictionary<string, JsonElement> policies)
    {
        Scenarios = scenarios;
        Policies = policies;
    }

    public static string Location => Path.Combine(Repository.Root, "docs", "PERMISSIONS.md");

    public IReadOnlyDictionary<string, IReadOnlyList<PageRow>> Scenarios { get; }

    public IReadOnlyDictionary<string, JsonElement> Policies { get; }

    public static PermissionsPage Read() => Parse(File.ReadAllLines(Location));

    public static PermissionsPage Parse(IReadOnlyList<string> lines)
    {
        var scenarios = new Dictionary<string, IReadOnlyList<PageRow>>(StringComparer.Ordinal);
        var policies = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (var index = 0; index < lines.Count; index++)
        {
            var marker = Marker.Match(lines[index]);
            if (!marker.Success)
            {
                continue;
            }
            var id = marker.Groups["id"].Value;
            var body = lines.Skip(index + 1).SkipWhile(string.IsNullOrWhiteSpace).ToList();
            if (marker.Groups["kind"].Value == "scenario")
            {
                scenarios.Add(id, Table(id, body.TakeWhile(line => line.StartsWith('|')).ToList()));
            }
            else
            {
                if (body.Count == 0 || !body[0].StartsWith("```json", StringComparison.Ordinal))
                {
                    throw new FormatException($"The policy '{id}' on {Location} is not followed by a ```json block.");
                }
                var json = string.Join("\n", body.Skip(1).TakeWhile(line => !line.StartsWith("```", StringComparison.Ordinal)));
                policies.Add(id, JsonDocument.Parse(json).RootElement.Clone());
            }
        }
        return new PermissionsPage(scenarios, policies);
    }

    private static IReadOnlyList<PageRow> Table(string id, IReadOnlyList<string> lines)
    {
        if (lines.Count < 3 || Cells(lines[0]) is not ["Action", "Resource", "Needed", "What for"])
        {
            throw new FormatException($"The scenario '{id}' on {Location} needs a table | Action | Resource | Needed | What for | right after its marker.");
        }
        return lines.Skip(2).Select(Cells).Select(cells => new PageRow(new Grant(cells[0], cells[1]), cells[2] switch
        {
            "yes" => Needed.Yes,
            "optional" => Needed.Optional,
            "if ACL" => Needed.IfAcl,
            "if another account" => Needed.IfOtherAccount,
            "if tagged" => Needed.IfTagged,
            "on AWS" => Needed.OnAws,
            var other => throw new FormatException($"Scenario '{id}': '{other}' is not a Needed value (yes, optional, if ACL, if another account, if tagged, on AWS)."),
        }, cells[3])).ToList();
    }

    private static string[] Cells(string line) =>
        line.Trim().Trim('|').Split('|').Select(cell => cell.Trim().Trim('`')).ToArray();

    /// <summary>Every (action, resource) an Allow statement of the policy names, as written (placeholders included).</summary>
    public static IReadOnlySet<Grant> Grants(JsonElement policy)
    {
        static IEnumerable<string> Strings(JsonElement element) =>
            element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().Select(item => item.GetString()!) : new[] { element.GetString()! };
        var grants = new HashSet<Grant>();
        foreach (var statement in policy.GetProperty("Statement").EnumerateArray())
        {
            if (statement.GetProperty("Effect").GetString() != "Allow")
            {
                continue;
            }
            foreach (var action in Strings(statement.GetProperty("Action")))
            {
                foreach (var resource in Strings(statement.GetProperty("Resource")))
                {
                    grants.Add(new Grant(action, resource));
                }
            }
        }
        return grants;
    }
}
