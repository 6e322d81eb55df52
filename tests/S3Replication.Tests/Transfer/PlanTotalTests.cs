using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>The total a restore's progress shows from its first seconds: its backup selection counted beside it.</summary>
public class PlanTotalTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>A bucket's objects and versions from memory, as a listing or an inventory gives them.</summary>
    private sealed class MemorySource : IObjectSource
    {
        private readonly List<S3ObjectRecord> _versions;

        public MemorySource(IEnumerable<S3ObjectRecord> versions, bool snapshot = false)
        {
            _versions = versions.OrderBy(version => version.Key, KeyOrder.Instance).ToList();
            IsSnapshot = snapshot;
        }

        public bool HasVersions => true;

        public bool IsSnapshot { get; }

        public IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
            Yield(_versions.Where(version => version.IsLatest && !version.IsDeleteMarker && version.Key.StartsWith(prefix ?? "", StringComparison.Ordinal)));

        public IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
            Yield(_versions.Where(version => version.Key.StartsWith(prefix ?? "", StringComparison.Ordinal)));

        private static async IAsyncEnumerable<S3ObjectRecord> Yield(IEnumerable<S3ObjectRecord> items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var item in items)
            {
                await Task.Yield();
                yield return item;
            }
        }
    }

    private static S3ObjectRecord Version(string key, int hoursAgo, bool latest, bool marker = false) => new()
    {
        Bucket = "backup", Key = key, VersionId = $"{key}-{hoursAgo}", IsLatest = latest, IsDeleteMarker = marker, LastModified = Now.AddHours(-hoursAgo), Size = 1, ETag = "\"e\"",
    };

    private static readonly S3ObjectRecord[] Backup =
    {
        Version("a/1.cdf", 1, true), Version("a/1.cdf", 50, false),
        Version("a/2.cdf", 2, true, marker: true), Version("a/2.cdf", 60, false),
        Version("a/3.txt", 3, true),
        Version("a/new.cdf", 1, true),
        Version("b/1.cdf", 70, true),
    };

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("a/", null, null)]
    [InlineData("a/", "*.cdf", null)]
    [InlineData(null, "*.cdf", 24)]
    public async Task The_count_is_the_number_of_backup_objects_the_plan_takes(string? prefix, string? include, int? hoursAgo)
    {
        var sides = new PlanSides(new MemorySource(Backup), new MemorySource(Array.Empty<S3ObjectRecord>()));
        var pair = new BucketPair("backup", "source");
        var selection = new Selection(prefix, new KeyFilter(include is null ? null : new[] { include }, null), hoursAgo is { } hours ? Now.AddHours(-hours) : null);

        var counted = await PlanSources.CountAsync(sides, pair, selection, CancellationToken.None);

        var planned = 0;
        await foreach (var candidate in PlanSources.Listings(sides, pair, selection, null, writes: true, CancellationToken.None))
        {
            planned += candidate.Backup is null ? 0 : 1;
        }
        Assert.Equal(planned, counted);
        Assert.True(counted > 0);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(true, true, true)]
    [InlineData(false, true, true)]
    public async Task A_run_that_writes_reads_again_what_an_inventory_said(bool writes, bool backupSnapshot, bool sourceSnapshot)
    {
        var source = Backup.Where(version => version.IsLatest && !version.IsDeleteMarker).Select(version => new S3ObjectRecord
        {
            Bucket = "source", Key = version.Key, VersionId = "s", IsLatest = true, Size = 1, ETag = "\"e\"", LastModified = version.LastModified,
        });
        var sides = new PlanSides(new MemorySource(Backup, backupSnapshot), new MemorySource(source, sourceSnapshot));
        foreach (var asOf in new DateTime?[] { null, Now.AddHours(-24) })
        {
            var selection = new Selection(null, KeyFilter.All, asOf) { Pinned = true };
            await foreach (var candidate in PlanSources.Listings(sides, new BucketPair("backup", "source"), selection, null, writes, CancellationToken.None))
            {
                // The source is read again (a HEAD) where it is an inventory and the run writes; a compare takes its word.
                Assert.Equal(!(writes && sourceSnapshot), candidate.SourceKnown);
                if (candidate.Backup is { } backup)
                {
                    var readAgain = writes && backupSnapshot;
                    // The backup too: no size or ETag to decide on (a HEAD reads them and pins the version it finds), the version
                    // kept only where -AsOf chose it from the history.
                    Assert.Equal(readAgain, string.IsNullOrEmpty(backup.ETag));
                    Assert.Equal(!readAgain || asOf is not null, backup.VersionId is not null);
                    Assert.Equal(readAgain ? Need.BackupHead : Need.None, RestoreDecider.Decide(candidate with { SourceKnown = true }, new DecisionPolicy(CompareMode.Auto)).Need);
                }
            }
        }
    }

    [Fact]
    public void Progress_shows_the_counted_total_until_the_plan_passes_it()
    {
        var tally = new Tally("objects", "copied");
        Assert.Null(tally.Expected);
        tally.SetExpected(3);
        Assert.Equal(3, tally.Expected);
        tally.Foresee(1000);
        Assert.Equal(1000, tally.Expected);
        tally.Add(ItemOutcome.Done);
        Assert.Equal(0, tally.PercentComplete);
        tally.SetExpected(1005);   // -Mirror's removals are planned after the copies
        Assert.Equal(1005, tally.Expected);
    }
}
