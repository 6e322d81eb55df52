using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Architecture;

/// <summary>
/// How the module's namespaces depend on each other, read from its sources: records at the bottom, then the shared
/// core, sessions, the services and the PowerShell bridge, cmdlets on top; arrows point one way, so no two areas need
/// each other.
/// </summary>
public class LayeringTests
{
    private static readonly string[] Areas = { "Records", "Core", "Session", "Trust", "Replication", "Transfer", "Batch", "Diagnostics", "Pipeline", "Commands" };

    /// <summary>Area → the areas it uses, each with one file that shows it.</summary>
    private static Dictionary<string, Dictionary<string, string>> Dependencies()
    {
        var source = Path.Combine(Repository.Root, "src", "S3Replication");
        var graph = Areas.ToDictionary(area => area, _ => new Dictionary<string, string>());
        var qualified = new Regex(@"\bS3Replication\.(\w+)\b");
        var relative = new Regex(@"(?<![.\w])(" + string.Join("|", Areas.Where(area => area != "Session")) + @")\.[A-Z]");
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
        {
            var text = WithoutCommentsAndStrings(File.ReadAllText(file));
            var area = Regex.Match(text, @"^namespace S3Replication\.(\w+)", RegexOptions.Multiline).Groups[1].Value;
            if (!graph.ContainsKey(area))
            {
                continue;
            }
            var used = qualified.Matches(text).Select(match => match.Groups[1].Value)
                .Concat(relative.Matches(text).Select(match => match.Groups[1].Value));
            foreach (var other in used.Where(other => other != area && graph.ContainsKey(other)))
            {
                graph[area].TryAdd(other, Path.GetRelativePath(source, file));
            }
        }
        return graph;
    }

    private static string WithoutCommentsAndStrings(string text) =>
        Regex.Replace(text, @"//[^\n]*|/\*.*?\*/|@""(?:""""|[^""])*""|\$?""(?:\\.|[^""\\\n])*""", "", RegexOptions.Singleline);

    [Fact]
    public void No_two_areas_depend_on_each_other_through_any_path()
    {
        var graph = Dependencies();
        var cycles = new List<string>();
        foreach (var start in Areas)
        {
            // Depth-first from each area: reaching it again is a cycle.
            var path = new Stack<string>();
            void Visit(string area)
            {
                foreach (var next in graph[area].Keys)
                {
                    if (next == start)
                    {
                        var steps = path.Reverse().Append(area).Append(start).ToList();
                        cycles.Add(string.Join(" -> ", steps.Zip(steps.Skip(1), (from, to) => $"{from} ({graph[from][to]})")) + $" -> {start}");
                    }
                    else if (!path.Contains(next) && next != area && string.CompareOrdinal(next, start) > 0)
                    {
                        path.Push(area);
                        Visit(next);
                        path.Pop();
                    }
                }
            }
            Visit(start);
        }
        Assert.True(cycles.Count == 0, "Namespace cycles:\n" + string.Join("\n", cycles.Distinct()));
    }

    [Fact]
    public void Records_depend_on_nothing_else_in_the_module()
    {
        Assert.Empty(Dependencies()["Records"]);
    }

    [Fact]
    public void The_reader_sees_every_kind_of_reference()
    {
        // The checks above are only as good as the reader: a using, a qualified name and a relative one all count.
        var graph = Dependencies();
        Assert.Contains("Core", graph["Transfer"].Keys);
        Assert.Contains("Records", graph["Commands"].Keys);
        Assert.Contains("Session", graph["Commands"].Keys);
    }

    [Fact]
    public void Records_hold_strings_not_enums_and_no_live_objects()
    {
        var records = typeof(S3Replication.Records.S3ObjectRecord).Assembly.GetTypes()
            .Where(type => type.IsPublic && type.Namespace == "S3Replication.Records" && type.IsClass);
        var offending = records.SelectMany(type => type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(property => (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) is var kind
                    && (kind.IsEnum || (kind.Namespace?.StartsWith("S3Replication.", StringComparison.Ordinal) == true && kind.Namespace != "S3Replication.Records")))
                .Select(property => $"{type.Name}.{property.Name} ({property.PropertyType.Name})"))
            .ToList();
        Assert.True(offending.Count == 0, "Record properties that are enums or module internals: " + string.Join(", ", offending));
    }
}
