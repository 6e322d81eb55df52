using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using CsCheck;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

public class MirrorPlanTests
{
    private static readonly DateTime Start = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>One key's backup history: versions at distinct minutes, newest first, some of them delete markers.</summary>
    private static readonly Gen<S3ObjectRecord[]> History = Gen.Select(Gen.Int[0, 7], Gen.Int[1, 100].Array[1, 5], Gen.Bool.Array[5], (key, minutes, markers) =>
        minutes.Distinct().OrderByDescending(minute => minute).Select((minute, index) => new S3ObjectRecord
        {
            Bucket = "backup", Key = $"k{key}", VersionId = $"v{key}.{minute}", Size = minute, ETag = $"e{minute}",
            LastModified = Start.AddMinutes(minute), IsDeleteMarker = markers[index],
        }).ToArray());

    private static async IAsyncEnumerable<S3ObjectRecord> Listing(IEnumerable<S3ObjectRecord> records)
    {
        foreach (var record in records)
        {
            await Task.Yield();
            yield return record;
        }
    }

    private static (MirrorPlan Mirror, List<Decided> Plan) Run(IEnumerable<S3ObjectRecord[]> backup, IEnumerable<S3ObjectRecord> source, DateTime instant, int maxDelete)
    {
        var versions = backup.OrderBy(history => history[0].Key, KeyOrder.Instance).SelectMany(history => history);
        var plan = new List<Decided>();
        var mirror = new MirrorPlan(maxDelete);
        var policy = new DecisionPolicy(CompareMode.ETag) { Mirror = true };
        var join = SyncPlanner.Join(VersionSelector.AsOf(Listing(versions), instant), Listing(source.OrderBy(item => item.Key, KeyOrder.Instance)));
        Task.Run(async () =>
        {
            await foreach (var candidate in join)
            {
                var decided = new Decided(candidate, RestoreDecider.Decide(candidate, policy));
                mirror.Observe(decided);
                plan.Add(decided);
            }
        }).GetAwaiter().GetResult();
        return (mirror, plan);
    }

    [Fact]
    public void A_mirror_rollback_leaves_the_source_with_exactly_the_backups_keys_at_the_moment_or_refuses_and_removes_nothing()
    {
        var sources = Gen.Int[0, 7].Array[0, 8].Select(keys => keys.Distinct().Select(key => new S3ObjectRecord { Bucket = "source", Key = $"k{key}", Size = key, ETag = "s" }).ToArray());
        Gen.Select(History.Array[0, 8], sources, Gen.Int[0, 110], Gen.Int[0, 8]).Sample((histories, source, minute, maxDelete) =>
        {
            var backup = histories.GroupBy(history => history[0].Key).Select(group => group.First()).ToList();
            var instant = Start.AddMinutes(minute);
            // The reference: a key was in the backup at the moment when its newest version not after it is an object.
            var atMoment = backup.Select(history => history.Where(v => v.LastModified <= instant).OrderByDescending(v => v.LastModified).FirstOrDefault())
                .Where(version => version is { IsDeleteMarker: false }).Select(version => version!.Key).ToHashSet();
            var expectedRemovals = source.Select(item => item.Key).Where(key => !atMoment.Contains(key)).ToHashSet();

            var (mirror, plan) = Run(backup, source, instant, maxDelete);

            if (atMoment.Count == 0 && source.Length > 0)
            {
                Assert.Equal(ErrorId.MirrorBackupEmpty, Assert.Throws<S3BackupException>(() => mirror.Release("the backup", "source")).ErrorId);
                return;
            }
            if (expectedRemovals.Count > maxDelete)
            {
                var refused = Assert.Throws<S3BackupException>(() => mirror.Release("the backup", "source"));
                Assert.Equal(ErrorId.MirrorTooManyRemovals, refused.ErrorId);
                Assert.Contains($"would remove {expectedRemovals.Count:N0} object(s)", refused.Message);
                return;
            }
            var removals = mirror.Release("the backup", "source").Select(item => item.Key).ToHashSet();
            Assert.Equal(expectedRemovals, removals);
            var copies = plan.Where(item => item.Decision.Verdict == Verdict.Copy).Select(item => item.Candidate.Key);
            var after = source.Select(item => item.Key).Except(removals).Union(copies).ToHashSet();
            Assert.Equal(atMoment, after);
        }, iter: 3000);
    }

    [Fact]
    public void With_force_a_backup_that_selects_nothing_removes_the_whole_selection_still_capped_by_the_limit()
    {
        var junk = Enumerable.Range(0, 3).Select(n => new S3ObjectRecord { Bucket = "source", Key = $"junk/{n}.tmp" }).ToList();
        var refused = Assert.Throws<S3BackupException>(() => Observed(new MirrorPlan(10), junk).Release("s3://backup/junk/", "source"));
        Assert.Equal(ErrorId.MirrorBackupEmpty, refused.ErrorId);
        Assert.Contains("add -Force to remove them all (still at most -MaxDelete 10); -Force -WhatIf lists them first.", refused.Message);

        var forced = Observed(new MirrorPlan(10, EmptyBackup.Allow), junk);
        Assert.True(forced.RemovesWholeSelection);
        Assert.Equal(junk.Select(item => item.Key), forced.Release("s3://backup/junk/", "source").Select(item => item.Key));
        Assert.Equal(ErrorId.MirrorTooManyRemovals,
            Assert.Throws<S3BackupException>(() => Observed(new MirrorPlan(2, EmptyBackup.Allow), junk).Release("s3://backup/junk/", "source")).ErrorId);
        var final = Assert.Throws<S3BackupException>(() => Observed(new MirrorPlan(10, EmptyBackup.RefuseFinal), junk).Release("s3://backup/junk/", "source"));
        Assert.Equal(ErrorId.MirrorBackupEmpty, final.ErrorId);
        Assert.Contains("-Force does not allow it here: s3://source is not versioned", final.Message);
    }

    private static MirrorPlan Observed(MirrorPlan mirror, IEnumerable<S3ObjectRecord> onlyInSource)
    {
        foreach (var item in onlyInSource)
        {
            mirror.Observe(inBackup: false, item, remove: true);
        }
        return mirror;
    }

    [Fact]
    public void An_empty_source_and_an_empty_backup_remove_nothing_without_complaint()
    {
        var (mirror, _) = Run(Array.Empty<S3ObjectRecord[]>(), Array.Empty<S3ObjectRecord>(), Start, 0);
        Assert.Empty(mirror.Release("the backup", "source"));
    }

    [Fact]
    public void Past_the_limit_it_counts_every_removal_but_holds_no_more_than_the_limit()
    {
        var source = Enumerable.Range(0, 50).Select(n => new S3ObjectRecord { Bucket = "source", Key = $"only-in-source/{n:D3}" }).ToList();
        var backup = new[] { new[] { new S3ObjectRecord { Bucket = "backup", Key = "kept", LastModified = Start } } };
        var (mirror, _) = Run(backup, source, Start.AddDays(1), 10);
        Assert.Equal(50, mirror.Removals);
        var refused = Assert.Throws<S3BackupException>(() => mirror.Release("s3://backup/ as of then", "source"));
        Assert.Contains("more than -MaxDelete 10", refused.Message);
        Assert.Contains("pass -MaxDelete 50", refused.Message);
    }
}
