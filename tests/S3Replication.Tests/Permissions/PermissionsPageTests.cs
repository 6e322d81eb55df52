using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using S3Replication.Tests.Support;
using S3Replication.Tests.Transfer;
using Xunit;

namespace S3Replication.Tests.Permissions;

/// <summary>
/// Issue 22, "Least privilege, written down and tested": docs/PERMISSIONS.md and the code cannot drift. Each use the page
/// lists (a scenario) is run against the in-process S3 stand-in; every S3 request the module sends is mapped to the IAM
/// action and resource it needs (<see cref="RequestPermissions"/>, through S3Permissions), and the page's table must
/// list exactly those: nothing sent may be missing, nothing listed as sent may go unsent. Then each listed permission is
/// refused in turn, as AWS refuses a role without it: a "yes" row must fail the step with an error (or an access check's
/// hint) that names the action, an "optional" row must not fail it. Finally the restore-role policy on the page must
/// grant exactly what its uses need.
/// </summary>
public sealed class PermissionsPageTests : IClassFixture<HostedShellFixture>
{
    /// <summary>The uses the restore-role policy on the page is for: it must grant what they need, and nothing else.</summary>
    private static readonly string[] RestoreRoleUses =
    {
        "restore", "restore-other-account", "restore-asof", "restore-mirror", "undo", "restore-plan", "restore-rows", "compare", "list", "list-asof", "download", "upload",
        "replication-status",
    };

    private static readonly Lazy<PermissionsPage> Page = new(PermissionsPage.Read);

    private readonly ScenarioRunner _runner;

    public PermissionsPageTests(HostedShellFixture fixture) => _runner = new ScenarioRunner(fixture.Shell);

    public static TheoryData<string> ScenarioIds()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in Scenarios.All)
        {
            data.Add(scenario.Id);
        }
        return data;
    }

    private static Scenario ScenarioOf(string id) => Scenarios.All.Single(scenario => scenario.Id == id);

    /// <summary>The page's tables of a scenario: one, or one per side ("/backup", "/source") where two sessions take part.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<PageRow>> TablesOf(Scenario scenario)
    {
        var sides = scenario.TwoSessions ? new[] { scenario.Id + "/backup", scenario.Id + "/source" } : new[] { scenario.Id };
        return sides.ToDictionary(side => side, side => Page.Value.Scenarios.TryGetValue(side, out var rows) ? rows
            : throw new Xunit.Sdk.XunitException($"docs/PERMISSIONS.md has no table marked <!-- scenario: {side} -->."));
    }

    [Fact]
    public void Every_table_on_the_page_belongs_to_a_scenario_that_is_run()
    {
        var run = Scenarios.All.SelectMany(scenario => scenario.TwoSessions ? new[] { scenario.Id + "/backup", scenario.Id + "/source" } : new[] { scenario.Id });
        Assert.Equal(run.OrderBy(id => id, StringComparer.Ordinal), Page.Value.Scenarios.Keys.OrderBy(id => id, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ScenarioIds))]
    public void The_page_lists_exactly_the_permissions_the_requests_need(string id)
    {
        var scenario = ScenarioOf(id);
        var result = _runner.Run(scenario);
        Assert.True(result.Run.Errors.Count == 0, $"{id} failed with every permission allowed:\n" + string.Join("\n", result.Run.Errors.Select(error => error.ToString())));

        var problems = new List<string>();
        foreach (var (side, rows) in TablesOf(scenario))
        {
            var sent = scenario.TwoSessions ? (side.EndsWith("/backup", StringComparison.Ordinal) ? result.BackupSideGrants : result.Grants.Except(result.BackupSideGrants).ToHashSet())
                : result.Grants;
            problems.AddRange(Compare(side, rows, sent, result.AclSent, scenario.SourceOwner is not null));
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n\nWhat the module sent:\n" + result.Described);
    }

    private static IEnumerable<string> Compare(string side, IReadOnlyList<PageRow> rows, IReadOnlySet<Grant> sent, bool aclSent, bool otherAccount)
    {
        var listed = rows.ToLookup(row => row.Grant);
        foreach (var grant in sent.OrderBy(grant => grant.ToString(), StringComparer.Ordinal))
        {
            var row = listed[grant].FirstOrDefault();
            if (row is null)
            {
                yield return $"{side}: {grant} is needed by a request the module sends, but the page does not list it.";
            }
            else if (row.Needed is Needed.IfTagged)
            {
                yield return $"{side}: {grant} is listed as '{row.Needed}', but a request of this use needs it: list it as yes or optional.";
            }
        }
        foreach (var row in rows)
        {
            var wasSent = sent.Contains(row.Grant);
            switch (row.Needed)
            {
                case Needed.Yes or Needed.Optional when !wasSent:
                    yield return $"{side}: {row} is listed, but no request of this use needs it.";
                    break;
                case Needed.IfAcl when wasSent != aclSent:
                    yield return $"{side}: {row}: the writes {(aclSent ? "sent" : "sent no")} ACL, yet the requests {(wasSent ? "needed" : "did not need")} it.";
                    break;
                case Needed.IfOtherAccount when wasSent != otherAccount:
                    yield return $"{side}: {row}: the run wrote {(otherAccount ? "as another account than" : "as")} the bucket's owner, yet the requests {(wasSent ? "needed" : "did not need")} it.";
                    break;
                case Needed.IfAcl when row.Grant.Action != "s3:PutObjectAcl":
                    yield return $"{side}: {row}: only s3:PutObjectAcl depends on the ACL.";
                    break;
            }
        }
    }

    /// <summary>
    /// Each permission a request of the use needs is refused in turn (the stand-in answers 403 AccessDenied to every
    /// request that needs it). "yes": the step fails (an error, a Failed row, a Denied check) and what it says names the
    /// action and the bucket. "optional" and "if another account" (the ownership read that -Acl Auto may do without): nothing fails.
    /// </summary>
    [Theory]
    [MemberData(nameof(ScenarioIds))]
    public void Refusing_a_needed_permission_fails_the_step_naming_it_and_refusing_an_optional_one_does_not(string id)
    {
        var scenario = ScenarioOf(id);
        var aclSent = _runner.Run(scenario).AclSent;
        var rows = TablesOf(scenario).Values.SelectMany(table => table)
            .Where(row => row.Needed is Needed.Yes or Needed.Optional || (row.Needed is Needed.IfAcl && aclSent) ||
                (row.Needed is Needed.IfOtherAccount && scenario.SourceOwner is not null))
            .GroupBy(row => row.Grant).Select(group => group.First()).ToList();
        var problems = new List<string>();
        foreach (var row in rows)
        {
            var refused = _runner.Run(scenario, deny: row.Grant);
            var (failed, said) = Outcome(refused.Run);
            if (row.Needed is Needed.Optional or Needed.IfOtherAccount)
            {
                if (failed)
                {
                    problems.Add($"{row} is optional, but without it the step failed: {said}");
                }
                continue;
            }
            var bucket = Scenarios.Placeholders.FirstOrDefault(pair => row.Grant.Resource.Contains(pair.Value, StringComparison.Ordinal)).Key;
            var named = Regex.IsMatch(said, Regex.Escape(row.Grant.Action) + "(?![A-Za-z])") && (bucket is null || said.Contains(bucket, StringComparison.Ordinal));
            if (!failed)
            {
                problems.Add($"{row} is needed, but without it the step did not fail.");
            }
            else if (!named)
            {
                problems.Add($"{row}: without it the step failed, but what it said does not name {row.Grant.Action}{(bucket is null ? "" : " on " + bucket)}: {said}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    /// <summary>Whether a run failed, and everything it said about it: error messages, and the Error and Hint of the records it wrote.</summary>
    private static (bool Failed, string Said) Outcome(HostedRun run)
    {
        static string? Property(PSObject item, string name) => item.Properties[name]?.Value?.ToString();
        var failedRecords = run.Output.Where(item => Property(item, "Action") == "Failed" || Property(item, "Outcome") == "Denied").ToList();
        var said = run.Errors.Select(error => error.ErrorDetails?.Message ?? error.Exception.Message)
            .Concat(run.Output.SelectMany(item => new[] { Property(item, "Error"), Property(item, "Hint") }).OfType<string>())
            .Concat(run.Warnings);
        return (run.Errors.Count > 0 || failedRecords.Count > 0, string.Join(" | ", said));
    }

    [Fact]
    public void The_restore_role_policy_grants_exactly_what_its_uses_need()
    {
        var granted = PermissionsPage.Grants(Page.Value.Policies["restore-role"]);
        var needed = RestoreRoleUses.SelectMany(id => TablesOf(ScenarioOf(id)).Values.SelectMany(rows => rows))
            .Where(row => row.Needed is Needed.Yes or Needed.Optional or Needed.IfAcl or Needed.IfOtherAccount or Needed.OnAws && row.Grant.Action.StartsWith("s3:", StringComparison.Ordinal))
            .Select(row => row.Grant).ToHashSet();
        var wrong = needed.Except(granted).Select(grant => $"needed, not granted: {grant}")
            .Concat(granted.Except(needed).Select(grant => $"granted, needed by none of {string.Join(", ", RestoreRoleUses)}: {grant}")).ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void The_additions_grant_what_tags_archives_and_keys_need_beyond_the_restore_role_policy()
    {
        var granted = PermissionsPage.Grants(Page.Value.Policies["restore-role"]).Concat(PermissionsPage.Grants(Page.Value.Policies["restore-role-additions"])).ToHashSet();
        var conditional = Scenarios.All.Where(scenario => scenario.Id != "batch-restore" && scenario.Id != "access")
            .SelectMany(scenario => TablesOf(scenario).Values.SelectMany(rows => rows)).Select(row => row.Grant).ToHashSet();
        var missing = conditional.Except(granted).Select(grant => $"listed for a restore-role use, granted by neither policy: {grant}").ToList();
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }
}
