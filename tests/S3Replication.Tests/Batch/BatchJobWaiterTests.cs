using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;
using Xunit;

namespace S3Replication.Tests.Batch;

/// <summary>Waiting for Batch Operations jobs (Wait-S3BackupBatchJob's one, a computed-checksum compare's two), on a clock of its own.</summary>
public class BatchJobWaiterTests
{
    /// <summary>A clock that moves only when the waiter pauses, and the pauses it took.</summary>
    private sealed class Clock
    {
        public TimeSpan Now { get; private set; }
        public List<TimeSpan> Pauses { get; } = new();

        public Task Delay(TimeSpan pause, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Pauses.Add(pause);
            Now += pause;
            return Task.CompletedTask;
        }
    }

    /// <summary>A job that reports the statuses given, one per DescribeJob, then stays at the last.</summary>
    private static Func<CancellationToken, Task<S3BatchJobRecord>> Job(string id, List<string> calls, params string[] statuses)
    {
        var next = 0;
        return _ =>
        {
            calls.Add(id);
            var status = statuses[Math.Min(next++, statuses.Length - 1)];
            return Task.FromResult(new S3BatchJobRecord
            {
                JobId = id, AccountId = "111122223333", Region = "eu-west-2", Status = status, TotalTasks = 10, SucceededTasks = status == "Complete" ? 10 : 4,
            });
        };
    }

    [Fact]
    public async Task Polls_every_job_until_all_have_ended_describing_an_ended_one_no_more()
    {
        var clock = new Clock();
        var calls = new List<string>();
        var rounds = new List<string>();
        var ended = await new BatchJobWaiter(clock.Delay, () => clock.Now).WaitAsync(
            new[] { Job("source", calls, "Preparing", "Complete"), Job("backup", calls, "Active", "Active", "Active", "Failed") },
            (round, _) => { rounds.Add(string.Join(",", round.Select(job => job.Status))); return Task.CompletedTask; },
            TimeSpan.FromHours(1), "", default);

        Assert.Equal(new[] { "Complete", "Failed" }, ended.Select(job => job.Status));
        Assert.Equal(new[] { "Preparing,Active", "Complete,Active", "Complete,Active", "Complete,Failed" }, rounds);
        Assert.Equal(new[] { "source", "backup", "source", "backup", "backup", "backup" }, calls);
        // Once a second, then twice as long each round.
        Assert.Equal(new[] { 1, 2, 4 }.Select(seconds => TimeSpan.FromSeconds(seconds)), clock.Pauses);
    }

    [Fact]
    public async Task Pauses_grow_to_thirty_seconds_and_no_further()
    {
        var clock = new Clock();
        var calls = new List<string>();
        await new BatchJobWaiter(clock.Delay, () => clock.Now).WaitAsync(new[] { Job("j", calls, Enumerable.Repeat("Active", 9).Append("Complete").ToArray()) },
            (_, _) => Task.CompletedTask, TimeSpan.FromHours(1), "", default);
        Assert.Equal(new[] { 1, 2, 4, 8, 16, 30, 30, 30, 30 }.Select(seconds => TimeSpan.FromSeconds(seconds)), clock.Pauses);
    }

    [Fact]
    public async Task A_timeout_names_each_job_still_running_where_it_runs_and_stops_only_the_waiting()
    {
        var clock = new Clock();
        var calls = new List<string>();
        var error = await Assert.ThrowsAsync<S3BackupException>(() => new BatchJobWaiter(clock.Delay, () => clock.Now).WaitAsync(
            new[] { Job("j-1", calls, "Active"), Job("j-2", calls, "Complete"), Job("j-3", calls, "Preparing") },
            (_, _) => Task.CompletedTask, TimeSpan.FromSeconds(10), " Then read the reports.", default));

        Assert.Equal((ErrorId.BatchJobMismatch, ErrorCategory.OperationTimeout), (error.ErrorId, error.Category));
        // The jobs run in their bucket's account and region, which need not be the session's: the hint names both.
        Assert.Equal("Jobs j-1 (Active), j-3 (Preparing) are still running after 00:00:10; they go on. Wait again with " +
            "Wait-S3BackupBatchJob -JobId j-1 -AccountId 111122223333 -Region eu-west-2; Wait-S3BackupBatchJob -JobId j-3 -AccountId 111122223333 -Region eu-west-2. " +
            "Then read the reports.", error.Message);
        // Every job's record, as last described, goes with the error: $error[0].TargetObject | Wait-S3BackupBatchJob.
        var records = Assert.IsType<S3BatchJobRecord[]>(error.Target);
        Assert.Equal(new[] { "j-1 Active", "j-2 Complete", "j-3 Preparing" }, records.Select(job => $"{job.JobId} {job.Status}"));
        // 1 + 2 + 4 = 7 s waited; the next pause (8 s) would pass 10 s.
        Assert.Equal(TimeSpan.FromSeconds(7), clock.Now);
    }

    [Fact]
    public async Task One_job_is_named_as_Wait_S3BackupBatchJob_always_named_it()
    {
        var clock = new Clock();
        var error = await Assert.ThrowsAsync<S3BackupException>(() => new BatchJobWaiter(clock.Delay, () => clock.Now).WaitAsync(
            new[] { Job("j-1", new List<string>(), "Active") }, (_, _) => Task.CompletedTask, TimeSpan.Zero, "", default));
        Assert.Equal("Job j-1 is still Active after 00:00:00; it goes on. Wait again with Wait-S3BackupBatchJob -JobId j-1 -AccountId 111122223333 -Region eu-west-2.",
            error.Message);
        Assert.Empty(clock.Pauses);
    }

    [Fact]
    public async Task A_stop_ends_the_waiting()
    {
        using var stop = new CancellationTokenSource();
        var clock = new Clock();
        var task = new BatchJobWaiter(clock.Delay, () => clock.Now).WaitAsync(new[] { Job("j", new List<string>(), "Active") },
            (_, _) => { stop.Cancel(); return Task.CompletedTask; }, TimeSpan.FromHours(1), "", stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public void Progress_shows_tasks_done_of_the_total()
    {
        var running = BatchJobWaiter.Progress(new S3BatchJobRecord { JobId = "j", Status = "Active", TotalTasks = 8, SucceededTasks = 3, FailedTasks = 1 }, 7,
            TimeSpan.FromSeconds(65), " (checksums of s3://b)");
        Assert.Equal(("Batch job j (checksums of s3://b)", "Active: 3 succeeded, 1 failed of 8 tasks; waiting 00:01:05", 50, ProgressRecordType.Processing, 7),
            (running.Activity, running.StatusDescription, running.PercentComplete, running.RecordType, running.ActivityId));
        var done = BatchJobWaiter.Progress(new S3BatchJobRecord { JobId = "j", Status = "Complete" }, 7, TimeSpan.Zero);
        Assert.Equal((ProgressRecordType.Completed, -1), (done.RecordType, done.PercentComplete));
    }
}
