using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>The undo run against versioned buckets in memory: what it asks S3, what it removes, what it leaves, and what it counts.</summary>
public class UndoRunWireTests
{
    private sealed class Report : IUndoReport
    {
        public ConcurrentQueue<UndoOutcome> Outcomes { get; } = new();
        public ConcurrentQueue<string> Notes { get; } = new();

        public Task OutcomeAsync(UndoOutcome outcome)
        {
            Outcomes.Enqueue(outcome);
            return Task.CompletedTask;
        }

        public void Note(string message) => Notes.Enqueue(message);

        public UndoOutcome Of(string key) => Outcomes.Single(outcome => outcome.Row.Key == key);
    }

    private static async Task<(Report Report, UndoRun Run)> UndoAsync(FakeVersionedS3 s3, UndoRow[] rows, bool commit = true, int maxConcurrency = 8,
        CancellationToken cancellationToken = default)
    {
        var report = new Report();
        var run = new UndoRun(maxConcurrency, report, null, cancellationToken);
        foreach (var row in rows)
        {
            await run.AddAsync(row);
        }
        using var client = s3.Http.Client();
        await run.RunAsync(client, commit ? run.Buckets.Select(bucket => bucket.Bucket).ToList() : Array.Empty<string>(), owner: null);
        return (report, run);
    }

    private static UndoRow Copied(string bucket, string key, string? version) => new(bucket, key, SyncAction.Copied, version) { BackupBucket = "backup" };
    private static UndoRow Deleted(string bucket, string key, string? version) => new(bucket, key, SyncAction.Deleted, version) { BackupBucket = "backup" };

    /// <summary>
    /// A restore (with -Mirror) into two source buckets, as the fake holds them afterwards, and its rows: one key it
    /// created, one it replaced, one it removed, one changed since, a key it copied and a later run removed, a key whose
    /// name starts another's, and rows that changed nothing.
    /// </summary>
    private static (FakeVersionedS3 S3, UndoRow[] Rows) Restored()
    {
        var s3 = new FakeVersionedS3();
        s3.Put("src", "data/replaced.csv", "before");
        s3.Put("src", "data/removed.csv", "kept");
        s3.Put("src", "data/changed.csv", "before");
        s3.Put("src", "data/twice.csv", "before");
        s3.Put("src", "data/k", "before");
        s3.Put("src", "data/k2", "other key");
        s3.Put("other", "x.csv", "before");
        var rows = new[]
        {
            Copied("src", "data/created.csv", s3.Put("src", "data/created.csv", "restored")),
            Copied("src", "data/replaced.csv", s3.Put("src", "data/replaced.csv", "restored")),
            Deleted("src", "data/removed.csv", s3.Delete("src", "data/removed.csv")),
            Copied("src", "data/changed.csv", s3.Put("src", "data/changed.csv", "restored")),
            Copied("src", "data/twice.csv", s3.Put("src", "data/twice.csv", "restored")),
            Copied("src", "data/k", s3.Put("src", "data/k", "restored")),
            Copied("other", "x.csv", s3.Put("other", "x.csv", "restored")),
            new UndoRow("src", "data/skipped.csv", SyncAction.Skipped, null) { BackupBucket = "backup" },
            new UndoRow("src", "data/preview.csv", SyncAction.WouldCopy, null) { BackupBucket = "backup" },
        };
        s3.Put("src", "data/k2", "other key, later");
        s3.Put("src", "data/changed.csv", "written after the restore");
        // A later -Mirror run removed the key the first one copied; its row comes first in the input.
        rows = rows.Prepend(Deleted("src", "data/twice.csv", s3.Delete("src", "data/twice.csv"))).ToArray();
        return (s3, rows);
    }

    [Fact]
    public async Task Each_key_is_back_at_its_previous_version_and_a_key_changed_since_is_left_alone()
    {
        var (s3, rows) = Restored();

        var (report, run) = await UndoAsync(s3, rows);

        Assert.Null(s3.Current("src", "data/created.csv"));
        Assert.Empty(s3.Versions("src", "data/created.csv"));
        Assert.Equal("before", s3.Current("src", "data/replaced.csv"));
        Assert.Equal("kept", s3.Current("src", "data/removed.csv"));
        Assert.Equal("before", s3.Current("src", "data/twice.csv"));
        Assert.Equal("before", s3.Current("src", "data/k"));
        Assert.Equal("other key, later", s3.Current("src", "data/k2"));
        Assert.Equal("before", s3.Current("other", "x.csv"));
        Assert.Equal("written after the restore", s3.Current("src", "data/changed.csv"));
        Assert.Equal(3, s3.Versions("src", "data/changed.csv").Count);

        var changed = report.Of("data/changed.csv");
        Assert.Equal((UndoAction.LeftAlone, UndoReason.ChangedSinceRestore, ErrorId.ChangedSinceRestore), (changed.Action, changed.Reason, changed.Failure!.ErrorId));
        Assert.Equal(s3.Versions("src", "data/changed.csv")[0].VersionId, changed.Current!.VersionId);
        Assert.Equal((UndoAction.Undone, UndoReason.Created), (report.Of("data/created.csv").Action, report.Of("data/created.csv").Reason));
        Assert.Equal((UndoAction.Undone, UndoReason.Replaced), (report.Of("data/replaced.csv").Action, report.Of("data/replaced.csv").Reason));
        Assert.Equal((UndoAction.Undone, UndoReason.MarkerAdded), (report.Of("data/removed.csv").Action, report.Of("data/removed.csv").Reason));
        Assert.Equal(new[] { "MarkerAdded", "Replaced" }, report.Outcomes.Where(outcome => outcome.Row.Key == "data/twice.csv").Select(outcome => $"{outcome.Reason}"));

        // Exactly one DELETE per version removed, each naming its version; every read is a ListObjectVersions of the key itself.
        var deletes = s3.Http.Requests.Where(request => request.Method == HttpMethod.Delete).ToList();
        Assert.Equal(7, deletes.Count);
        Assert.All(deletes, delete => Assert.Contains("versionId=", delete.Uri.Query));
        var lists = s3.Http.Requests.Where(request => request.Method == HttpMethod.Get).ToList();
        Assert.All(lists, list => Assert.Contains("versions", list.Uri.Query));
        Assert.Contains(lists, list => System.Text.RegularExpressions.Regex.IsMatch(list.PathAndQuery, "[?&]prefix=data/k(&|$)"));

        Assert.Equal((7L, 2L, 1L, 0L), (run.Tally[ItemOutcome.Done], run.Tally[ItemOutcome.Skipped], run.Tally[ItemOutcome.Failed], run.Tally[ItemOutcome.Would]));
        Assert.Contains("1 changed since the restore or undone already", run.NotUndoneBreakdown());
    }

    [Fact]
    public async Task A_second_undo_of_the_same_rows_changes_nothing_and_says_each_was_undone_already()
    {
        var (s3, rows) = Restored();
        await UndoAsync(s3, rows);
        var before = (s3.State("src"), s3.State("other"));
        var deletes = s3.Http.Requests.Count(request => request.Method == HttpMethod.Delete);

        var (report, run) = await UndoAsync(s3, rows);

        Assert.Equal(before, (s3.State("src"), s3.State("other")));
        Assert.Equal(deletes, s3.Http.Requests.Count(request => request.Method == HttpMethod.Delete));
        Assert.Equal(0, run.Tally[ItemOutcome.Done]);
        var gone = report.Outcomes.Where(outcome => outcome.Reason == UndoReason.VersionGone).ToList();
        Assert.Equal(7, gone.Count);
        Assert.All(gone, outcome => Assert.Contains("undone already", outcome.Failure!.Message));
        Assert.Equal(UndoReason.ChangedSinceRestore, report.Of("data/changed.csv").Reason);
        Assert.Equal(8, run.Tally[ItemOutcome.Failed]);
    }

    [Fact]
    public async Task Without_commit_it_removes_nothing_and_says_what_would_be_current()
    {
        var (s3, rows) = Restored();
        var before = (s3.State("src"), s3.State("other"));

        var (report, run) = await UndoAsync(s3, rows, commit: false);

        Assert.Equal(before, (s3.State("src"), s3.State("other")));
        Assert.DoesNotContain(s3.Http.Requests, request => request.Method != HttpMethod.Get);
        Assert.Equal(7, run.Tally[ItemOutcome.Would]);
        var replaced = report.Of("data/replaced.csv");
        Assert.Equal(UndoAction.WouldUndo, replaced.Action);
        Assert.Equal(s3.Versions("src", "data/replaced.csv")[1].VersionId, replaced.Current!.VersionId);
        Assert.Null(report.Of("data/created.csv").Current);
    }

    [Fact]
    public async Task A_refused_removal_names_s3_DeleteObjectVersion_and_the_object_and_the_older_row_of_the_key_is_not_tried()
    {
        var (s3, rows) = Restored();
        s3.Deny = request => request.Method == HttpMethod.Delete;

        var (report, _) = await UndoAsync(s3, rows.Where(row => row.Key == "data/twice.csv").ToArray());

        var outcomes = report.Outcomes.ToList();
        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, outcome => Assert.Equal((UndoAction.Failed, ErrorId.AccessDenied), (outcome.Action, outcome.Failure!.ErrorId)));
        Assert.Contains("s3:DeleteObjectVersion on arn:aws:s3:::src/data/twice.csv", outcomes[0].Failure!.Message);
        Assert.Contains("was not tried", outcomes[1].Failure!.Message);
        Assert.Single(s3.Http.Requests, request => request.Method == HttpMethod.Delete);
        Assert.Equal("before", s3.Versions("src", "data/twice.csv").Last().Body);
    }

    [Fact]
    public async Task When_the_first_removals_are_all_refused_the_run_stops_with_one_error_naming_the_permission()
    {
        var s3 = new FakeVersionedS3();
        var rows = Enumerable.Range(0, 20).Select(index => Copied("src", $"k{index:D2}", s3.Put("src", $"k{index:D2}", "restored"))).ToArray();
        s3.Deny = request => request.Method == HttpMethod.Delete;

        var (_, run) = await UndoAsync(s3, rows, maxConcurrency: 1);

        Assert.Equal(RepeatedDenial.Threshold, s3.Http.Requests.Count(request => request.Method == HttpMethod.Delete));
        Assert.Contains("s3:DeleteObjectVersion on arn:aws:s3:::src/*", run.Runner.StopError!.Message);
    }

    [Fact]
    public async Task A_refused_listing_names_s3_ListBucketVersions_on_the_bucket()
    {
        var (s3, rows) = Restored();
        s3.Deny = request => request.Method == HttpMethod.Get;

        var (report, _) = await UndoAsync(s3, rows.Where(row => row.Key == "data/created.csv").ToArray());

        var failed = Assert.Single(report.Outcomes);
        Assert.Equal(UndoAction.Failed, failed.Action);
        Assert.Contains("s3:ListBucketVersions on arn:aws:s3:::src", failed.Failure!.Message);
        Assert.DoesNotContain(s3.Http.Requests, request => request.Method == HttpMethod.Delete);
    }

    [Fact]
    public async Task Rows_without_a_source_version_are_not_undoable_and_ask_nothing()
    {
        var s3 = new FakeVersionedS3();
        var (report, run) = await UndoAsync(s3, new[] { Copied("src", "a", null), Deleted("src", "b", ""), Copied("src", "c", "null") });

        Assert.Empty(s3.Http.Requests);
        Assert.Empty(run.Buckets);
        Assert.All(report.Outcomes, outcome => Assert.Equal((UndoAction.NotUndoable, ErrorId.NotUndoable), (outcome.Action, outcome.Failure!.ErrorId)));
        Assert.Contains("names no source version", report.Of("a").Failure!.Message);
        Assert.Equal(3, run.Tally[ItemOutcome.Failed]);
    }

    [Fact]
    public async Task A_key_with_more_versions_than_a_page_is_read_until_the_restores_version_is_found()
    {
        var s3 = new FakeVersionedS3();
        s3.Put("src", "deep", "before");
        var row = Copied("src", "deep", s3.Put("src", "deep", "restored"));
        for (var index = 0; index < 1200; index++)
        {
            s3.Put("src", "deep", $"later {index}");
        }

        var (report, _) = await UndoAsync(s3, new[] { row });

        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal((UndoAction.LeftAlone, UndoReason.ChangedSinceRestore), (outcome.Action, outcome.Reason));
        Assert.Equal(3, s3.Http.Requests.Count);
        Assert.Contains("later 1199", s3.Current("src", "deep"));
    }

    [Fact]
    public async Task A_stop_starts_no_key_after_it_and_no_request_runs_once_the_run_has_returned()
    {
        var s3 = new FakeVersionedS3();
        var rows = Enumerable.Range(0, 200).Select(index => Copied("src", $"k{index:D3}", s3.Put("src", $"k{index:D3}", "restored"))).ToArray();
        using var stop = new CancellationTokenSource();
        var deletes = 0;
        var running = 0;
        s3.Before = request =>
        {
            Interlocked.Increment(ref running);
            if (request.Method == HttpMethod.Delete && Interlocked.Increment(ref deletes) == 20)
            {
                stop.Cancel();
            }
            Thread.Sleep(2);
            Interlocked.Decrement(ref running);
        };

        var (report, run) = await UndoAsync(s3, rows, maxConcurrency: 4, cancellationToken: stop.Token);

        var sent = s3.Http.Requests.Count;
        await Task.Delay(100);
        Assert.Equal(sent, s3.Http.Requests.Count);
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.True(run.Tally[ItemOutcome.Done] < 200);
        Assert.Equal(report.Outcomes.Count, run.Tally.Total);
        Assert.Equal(report.Outcomes.Count(outcome => outcome.Action == UndoAction.Undone), run.Tally[ItemOutcome.Done]);
        // A removal whose answer the stop cut off may have happened: at most one per key in flight.
        var removed = rows.Count(row => s3.Versions("src", row.Key).Count == 0);
        Assert.InRange(removed - run.Tally[ItemOutcome.Done], 0, 4);
    }
}
