using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using S3Replication.Core;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// Undo planning against a reference: a key's history is built from events (someone writes, someone deletes, a restore
/// copies, -Mirror removes), newest first as S3 lists it, and the restore's rows are the versions it made. The reference:
/// undoing removes exactly the newest run of the history's entries that the rows made, newest first; every other row is
/// left alone, and afterwards the key holds what it held under that run.
/// </summary>
public class UndoPlannerTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 22, 0, 0, DateTimeKind.Utc);

    private enum Event
    {
        Write,
        Delete,
        RestoreCopy,
        MirrorRemove,
    }

    /// <summary>The key's history after the events (newest first), and a restore row for each entry a restore made.</summary>
    private static (List<KeyVersion> History, List<UndoRow> Rows) Apply(IEnumerable<Event> events)
    {
        var history = new List<KeyVersion>();
        var rows = new List<UndoRow>();
        var number = 0;
        foreach (var change in events)
        {
            number++;
            var id = $"v{number}";
            var marker = change is Event.Delete or Event.MirrorRemove;
            history.Insert(0, new KeyVersion(id, marker, Start.AddMinutes(number), marker ? 0 : number * 10));
            if (change is Event.RestoreCopy or Event.MirrorRemove)
            {
                rows.Add(new UndoRow("source", "k", change == Event.RestoreCopy ? SyncAction.Copied : SyncAction.Deleted, id));
            }
        }
        return (history, rows);
    }

    private static readonly Gen<Event> Foreign = Gen.Int[0, 1].Select(value => (Event)value);
    private static readonly Gen<Event> Restore = Gen.Int[2, 3].Select(value => (Event)value);
    private static readonly Gen<Event> Any = Gen.Int[0, 3].Select(value => (Event)value);

    /// <summary>The history with the plan's removals made, in the plan's order; each must be the current version when made.</summary>
    private static List<KeyVersion> Undo(List<KeyVersion> history, IEnumerable<UndoStep> steps)
    {
        var after = history.ToList();
        foreach (var step in steps.Where(step => step.Verdict == UndoVerdict.Remove))
        {
            Assert.Equal(after[0], step.Current);
            after.RemoveAt(0);
            Assert.Equal(after.FirstOrDefault(), step.After);
        }
        return after;
    }

    /// <summary>What the service lists before it stops: pages of <paramref name="page"/> until planning needs no more.</summary>
    private static List<KeyVersion> Listed(IReadOnlyList<UndoRow> rows, List<KeyVersion> history, int page)
    {
        var listed = new List<KeyVersion>();
        var first = Math.Min(1000, rows.Count + 1);
        listed.AddRange(history.Take(first));
        while (listed.Count < history.Count && UndoPlanner.NeedsMore(rows, listed))
        {
            listed.AddRange(history.Skip(listed.Count).Take(page));
        }
        return listed;
    }

    [Fact]
    public void Undoing_restores_brings_back_the_state_before_the_first_unless_the_key_changed_since()
    {
        Gen.Select(Foreign.Array[0, 4], Restore.Array[1, 3], Foreign.Array[0, 2]).Sample((before, restores, later) =>
        {
            var (history, rows) = Apply(before.Concat(restores).Concat(later));
            var (previous, _) = Apply(before);

            var steps = UndoPlanner.PlanKey(rows, history);

            Assert.Equal(rows.Count, steps.Count);
            if (later.Length == 0)
            {
                // Created, replaced, marker: every restore row is removed, newest first, and the key is as it was before them.
                Assert.All(steps, step => Assert.Equal(UndoVerdict.Remove, step.Verdict));
                Assert.Equal(previous, Undo(history, steps));
                var oldest = steps[^1];
                var expected = oldest.Row.AddedMarker ? UndoReason.MarkerAdded
                    : previous.FirstOrDefault() is { IsDeleteMarker: false } ? UndoReason.Replaced : UndoReason.Created;
                Assert.Equal(expected, oldest.Reason);
            }
            else
            {
                // Changed since: someone wrote or deleted after the restore; nothing is removed, and the error names what is current.
                Assert.All(steps, step => Assert.Equal((UndoVerdict.LeftAlone, UndoReason.ChangedSinceRestore, history[0]), (step.Verdict, step.Reason, step.Current)));
                Assert.All(steps, step => Assert.Contains($"now is {history[0]}", UndoPlanner.Explain(step)!.Message));
                Assert.All(steps, step => Assert.Equal(ErrorId.ChangedSinceRestore, UndoPlanner.Explain(step)!.ErrorId));
            }
        }, iter: 3000);
    }

    [Fact]
    public void Any_history_removes_exactly_the_newest_run_the_rows_made_whatever_the_order_of_the_rows()
    {
        Gen.Select(Any.Array[1, 9], Gen.Bool.Array[9], Gen.Int[0, 3], Gen.Int, Gen.Int[1, 4]).Sample((events, gone, duplicates, seed, page) =>
        {
            var (full, made) = Apply(events);
            // Some of the restore's versions were removed since (an earlier undo, or by hand): those rows find theirs gone.
            var history = full.Where(version => !made.Select(row => row.SourceVersionId).Contains(version.VersionId) || !gone[int.Parse(version.VersionId[1..]) - 1]).ToList();
            var random = new Random(seed);
            var rows = made.Concat(made.Take(duplicates)).OrderBy(_ => random.Next()).ToList();

            var steps = UndoPlanner.PlanKey(rows, history);

            var mine = made.Select(row => row.SourceVersionId).ToHashSet();
            var run = history.TakeWhile(version => mine.Contains(version.VersionId)).ToList();
            var current = history.Skip(run.Count).FirstOrDefault();
            Assert.Equal(run.Select(version => version.VersionId), steps.Where(step => step.Verdict == UndoVerdict.Remove).Select(step => step.Row.SourceVersionId));
            Assert.Equal(history.Skip(run.Count), Undo(history, steps));
            Assert.Equal(Math.Min(duplicates, made.Count), steps.Count(step => step.Reason == UndoReason.Duplicate));
            foreach (var step in steps.Where(step => step.Verdict == UndoVerdict.LeftAlone))
            {
                var listed = history.Any(version => version.VersionId == step.Row.SourceVersionId);
                Assert.Equal(listed ? UndoReason.ChangedSinceRestore : UndoReason.VersionGone, step.Reason);
                Assert.Equal(current, step.Current);
            }
            Assert.Equal(rows.Count, steps.Count);
            Assert.Equal(made.Count - run.Count, steps.Count(step => step.Verdict == UndoVerdict.LeftAlone));

            // The service lists only as far as planning needs; the plan is the same as from the whole history.
            var shortened = UndoPlanner.PlanKey(rows, Listed(rows, history, page));
            Assert.Equal(steps.Select(Describe), shortened.Select(Describe));
        }, iter: 5000);
    }

    private static string Describe(UndoStep step) => $"{step.Row.SourceVersionId} {step.Verdict} {step.Reason} {step.Current?.VersionId} {step.After?.VersionId}";

    [Fact]
    public void Rows_that_changed_nothing_are_passed_over_and_rows_without_a_version_cannot_be_undone()
    {
        Gen.Select(Gen.Int[0, 7], Generators.Pick<string?>(null, "", "null", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"), Gen.Bool).Sample((action, version, bucket) =>
        {
            var row = new UndoRow(bucket ? "source" : "", "k", (SyncAction)action, version);
            var step = UndoPlanner.WithoutHistory(row);
            if (row.Action is not (SyncAction.Copied or SyncAction.Deleted))
            {
                Assert.Equal((UndoVerdict.Pass, UndoReason.ChangedNothing), (step!.Verdict, step.Reason));
                Assert.Null(UndoPlanner.Explain(step));
                return;
            }
            var expected = !bucket ? UndoReason.NoSourceBucket : version switch { null or "" => UndoReason.NoSourceVersion, "null" => UndoReason.NullVersion, _ => (UndoReason?)null };
            if (expected is null)
            {
                Assert.Null(step);
                return;
            }
            Assert.Equal((UndoVerdict.NotUndoable, expected.Value), (step!.Verdict, step.Reason));
            Assert.Equal(ErrorId.NotUndoable, UndoPlanner.Explain(step)!.ErrorId);
        }, iter: 500);
    }

    [Fact]
    public void Created_the_key_is_gone_again()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v1") }, new[] { Version("v1") }));
        Assert.Equal((UndoVerdict.Remove, UndoReason.Created, "v1", null), (step.Verdict, step.Reason, step.Current?.VersionId, step.After));
    }

    [Fact]
    public void Replaced_the_previous_version_is_current_again()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v1") }, new[] { Version("v1"), Version("v0") }));
        Assert.Equal((UndoVerdict.Remove, UndoReason.Replaced, "v0"), (step.Verdict, step.Reason, step.After?.VersionId));
    }

    [Fact]
    public void A_copy_over_a_deleted_key_leaves_it_deleted_again()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v2") }, new[] { Version("v2"), Marker("m1"), Version("v0") }));
        Assert.Equal((UndoVerdict.Remove, UndoReason.Created, "m1"), (step.Verdict, step.Reason, step.After?.VersionId));
    }

    [Fact]
    public void A_mirror_removal_brings_the_object_back()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Deleted("m1") }, new[] { Marker("m1"), Version("v0") }));
        Assert.Equal((UndoVerdict.Remove, UndoReason.MarkerAdded, "v0"), (step.Verdict, step.Reason, step.After?.VersionId));
    }

    [Fact]
    public void Changed_since_the_restore_is_left_alone_naming_what_is_current()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v1") }, new[] { Version("v2"), Version("v1"), Version("v0") }));
        Assert.Equal((UndoVerdict.LeftAlone, UndoReason.ChangedSinceRestore, "v2"), (step.Verdict, step.Reason, step.Current?.VersionId));
        var error = UndoPlanner.Explain(step)!;
        Assert.Equal(ErrorId.ChangedSinceRestore, error.ErrorId);
        Assert.Contains("s3://source/k was left alone: it changed since the restore. Current now is object version v2 (", error.Message);
        Assert.Contains("newer than the version v1 the restore created", error.Message);
    }

    [Fact]
    public void A_second_undo_finds_the_version_gone_and_says_it_was_undone_already()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v1") }, new[] { Version("v0") }));
        Assert.Equal((UndoVerdict.LeftAlone, UndoReason.VersionGone), (step.Verdict, step.Reason));
        Assert.Contains("is no longer among the key's versions, so it was undone already", UndoPlanner.Explain(step)!.Message);
        var created = Assert.Single(UndoPlanner.PlanKey(new[] { Copied("v1") }, Array.Empty<KeyVersion>()));
        Assert.Contains("the key has no versions at all now", UndoPlanner.Explain(created)!.Message);
    }

    [Fact]
    public void A_copy_and_a_later_mirror_removal_of_one_key_are_undone_newest_first_whatever_the_row_order()
    {
        var history = new[] { Marker("m2"), Version("v1"), Version("v0") };
        foreach (var rows in new[] { new[] { Copied("v1"), Deleted("m2") }, new[] { Deleted("m2"), Copied("v1") } })
        {
            var steps = UndoPlanner.PlanKey(rows, history);
            Assert.Equal(new[] { "m2 MarkerAdded", "v1 Replaced" }, steps.Select(step => $"{step.Row.SourceVersionId} {step.Reason}"));
            Assert.Equal("v0", steps[^1].After?.VersionId);
        }
    }

    [Fact]
    public void A_record_of_the_other_kind_of_version_is_not_undone()
    {
        var step = Assert.Single(UndoPlanner.PlanKey(new[] { Deleted("v1") }, new[] { Version("v1"), Version("v0") }));
        Assert.Equal((UndoVerdict.NotUndoable, UndoReason.KindMismatch), (step.Verdict, step.Reason));
        Assert.Contains("does not describe this bucket", UndoPlanner.Explain(step)!.Message);
    }

    [Fact]
    public void Listing_goes_on_until_every_rows_version_and_the_one_under_it_are_seen()
    {
        var rows = new[] { Copied("v1") };
        Assert.True(UndoPlanner.NeedsMore(rows, Array.Empty<KeyVersion>()));
        Assert.True(UndoPlanner.NeedsMore(rows, new[] { Version("v1") }));
        Assert.False(UndoPlanner.NeedsMore(rows, new[] { Version("v1"), Version("v0") }));
        Assert.True(UndoPlanner.NeedsMore(rows, new[] { Version("v3"), Version("v2") }));
    }

    private static UndoRow Copied(string version) => new("source", "k", SyncAction.Copied, version);
    private static UndoRow Deleted(string version) => new("source", "k", SyncAction.Deleted, version);
    private static KeyVersion Version(string id) => new(id, false, Start, 1024);
    private static KeyVersion Marker(string id) => new(id, true, Start);
}
