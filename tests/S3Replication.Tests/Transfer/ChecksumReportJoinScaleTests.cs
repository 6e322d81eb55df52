using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using S3Replication.Batch;
using S3Replication.Transfer;
using S3Replication.Transfer.Inventory;
using Xunit;
using Xunit.Abstractions;

namespace S3Replication.Tests.Transfer;

/// <summary>Memory measured alone: no other test allocates while the managed heap is read.</summary>
[CollectionDefinition(nameof(HeapMeasureCollection), DisableParallelization = true)]
public sealed class HeapMeasureCollection
{
}

/// <summary>
/// The bounded join (ChecksumReportJoin) over many keys: runs far smaller than the report, so that it spills to disk and
/// merges in more than one level, and must answer every key as the in-memory join does; and what it holds in memory.
/// </summary>
[Collection(nameof(HeapMeasureCollection))]
public sealed class ChecksumReportJoinScaleTests : IDisposable
{
    private const string Report = "the completion report of job j1";
    private readonly string _temporary = Path.Combine(Path.GetTempPath(), "s3r-join-tests-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public ChecksumReportJoinScaleTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_temporary);
    }

    public void Dispose() => Directory.Delete(_temporary, recursive: true);

    /// <summary>
    /// <paramref name="count"/> keys as a plan gives them (some twice), and a report for them: most keys one row, spelt
    /// percent-encoded or form-encoded; some none; some two; some another version; 'a b' and 'a+b' pairs whose rows can be
    /// either; rows of another bucket and of keys never given.
    /// </summary>
    private static (List<(string Key, string? Pinned)> Keys, List<BatchTaskResult> Rows) Synthetic(int count)
    {
        var random = new Random(20261205);
        var keys = new List<(string, string?)>();
        var rows = new List<BatchTaskResult>();
        string Checksum(int n) => $$"""{"checksum_hex":"{{n:x16}}","checksumAlgorithm":"CRC64NVME"}""";
        BatchTaskResult Row(string reportKey, int n, string? version, string bucket = "bkt") => n % 97 == 0
            ? new(bucket, reportKey, version, "failed", "403", "AccessDenied", "Access Denied")
            : new(bucket, reportKey, version, "succeeded", "200", null, Checksum(n));
        for (var n = 0; n < count; n++)
        {
            var key = (n % 5) switch
            {
                0 => $"data/{n:x6}/a b.csv",
                1 => $"data/{n:x6}/a+b.csv",
                2 => $"data/{n:x6}/plain.csv",
                3 => $"logs/{n % 1000:D3}/ünï {n}.log",
                _ => $"x/{n}",
            };
            var version = n % 3 == 0 ? null : $"v{n}";
            keys.Add((key, version));
            var percent = BatchManifest.EncodeKey(key);
            var form = percent.Replace("%20", "+");
            switch (random.Next(20))
            {
                case 0:
                    break;
                case 1:
                    rows.Add(Row(percent, n, version));
                    rows.Add(Row(form, n + 1, version));
                    break;
                case 2:
                    rows.Add(Row(percent, n, $"other{n}"));
                    break;
                case 3:
                    keys.Add((key, version));
                    rows.Add(Row(percent, n, version));
                    break;
                case 4:
                    rows.Add(Row(percent, n, version, bucket: "other-bucket"));
                    rows.Add(Row($"never/{n}", n, version));
                    break;
                default:
                    rows.Add(Row(random.Next(2) == 0 ? percent : form, n, version));
                    break;
            }
        }
        // A report lists its tasks in no order the join may rely on.
        return (keys, rows.OrderBy(_ => random.Next()).ToList());
    }

    [Fact]
    public void Two_hundred_thousand_keys_in_runs_of_a_thousand_are_joined_as_the_in_memory_join_does()
    {
        var (keys, rows) = Synthetic(200_000);
        var oracle = new InMemoryReportJoin("bkt", keys.Select(key => key.Key), "CRC64NVME", Report);
        using var folder = new TemporaryFolder(_temporary, "s3r-verify-");
        var join = new ChecksumReportJoin("bkt", "CRC64NVME", Report, folder, runSize: 1_000);
        foreach (var row in rows)
        {
            oracle.Add(row);
            join.Add(row);
        }
        var given = keys.GroupBy(key => key.Key, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        var (verified, unverified) = (0, 0);
        using (join)
        {
            foreach (var (key, pinned) in keys.OrderBy(key => key.Key, Comparer<string>.Create(ReadingOrder.Compare)))
            {
                var expected = ChecksumReportJoinTests.Shape(oracle.TaskFor(key, pinned, "not reported"));
                var actual = ChecksumReportJoinTests.Shape(join.TaskFor(key, given[key], pinned, "not reported"));
                Assert.True(expected == actual, $"'{key}': {actual} where the in-memory join says {expected}");
                _ = actual.Item2 is null ? unverified++ : verified++;
            }
        }
        Assert.InRange(verified, 150_000, 200_000);
        Assert.InRange(unverified, 10_000, 60_000);
        Assert.InRange(join.MostHeld, 1, 1_000);
        // Over 64 runs (the fan-in): some were merged into longer ones first.
        Assert.True(join.SpilledRuns > ExternalSorter<ReportReading>.FanIn + 1, $"{join.SpilledRuns} runs");
        Assert.Empty(Directory.EnumerateFiles(folder.Location!));
    }

    [Fact]
    public void The_join_holds_a_run_of_readings_however_long_the_report()
    {
        const int RunSize = 5_000;
        var sorted = SortedKeys(97_500);
        // One row a key, as a report of a clean compare has; made as the report is read, so that only what a join keeps stays.
        BatchTaskResult Row(int n) => new("bkt", BatchManifest.EncodeKey(sorted[n]), $"v{n}", "succeeded", "200", null,
            $$"""{"checksum_hex":"{{n:x16}}","checksumAlgorithm":"CRC64NVME"}""");

        var before = Heap();
        var oracle = new InMemoryReportJoin("bkt", sorted, "CRC64NVME", Report);
        for (var n = 0; n < sorted.Count; n++)
        {
            oracle.Add(Row(n));
        }
        var inMemory = Heap() - before;
        Assert.NotNull(oracle.TaskFor(sorted[0], null, "not reported").Checksum);
        oracle = null;

        using var folder = new TemporaryFolder(_temporary, "s3r-verify-");
        before = Heap();
        var join = new ChecksumReportJoin("bkt", "CRC64NVME", Report, folder, runSize: RunSize);
        for (var n = 0; n < sorted.Count; n++)
        {
            join.Add(Row(n));
        }
        var added = Heap() - before;
        var onDisk = Directory.EnumerateFiles(folder.Location!).Sum(file => new FileInfo(file).Length);
        long merging = 0;
        using (join)
        {
            for (var index = 0; index < sorted.Count; index++)
            {
                Assert.NotNull(join.TaskFor(sorted[index], 1, null, "not reported").Checksum);
                if (index % 20_000 == 10_000)
                {
                    merging = Math.Max(merging, Heap() - before);
                }
            }
        }
        _output.WriteLine($"{sorted.Count:N0} rows: in memory {inMemory / sorted.Count:N0} B a key ({inMemory / 1024 / 1024:N0} MB); bounded, runs of " +
            $"{RunSize:N0}: {added / 1024:N0} KB once added ({added / RunSize:N0} B a reading held), at most {merging / 1024:N0} KB while merging ({join.SpilledRuns} runs, {onDisk / (sorted.Count - sorted.Count % RunSize):N0} B a reading on disk)");
        // What the bounded join holds does not grow with the report: a run of readings, then a buffer and a reading per run.
        Assert.True(added < 8L * 1024 * 1024, $"{added:N0} bytes held after adding {sorted.Count:N0} rows");
        Assert.True(merging < 16L * 1024 * 1024, $"{merging:N0} bytes held while merging");
        Assert.True(inMemory > 4 * Math.Max(added, merging), $"in memory {inMemory:N0}, bounded {added:N0} and {merging:N0}");
    }

    [Fact]
    public void The_plan_holds_a_run_of_keys_however_many_are_verified()
    {
        const int RunSize = 5_000;
        var sorted = SortedKeys(97_500);
        var modified = new DateTime(2026, 12, 5, 9, 0, 0, DateTimeKind.Utc);
        // The keys as a plan decides them, made as it goes; in reverse, as piped rows may come.
        PlannedKey Planned(int n) => new(sorted[n],
            new S3Replication.Records.S3ObjectRecord { Bucket = "src", Key = sorted[n], VersionId = $"sv{n}", Size = n, ETag = $"\"{n:x32}\"", LastModified = modified, StorageClass = "STANDARD" },
            new S3Replication.Records.S3ObjectRecord { Bucket = "bkt", Key = sorted[n], VersionId = $"bv{n}", Size = n, ETag = $"\"{n:x32}\"", LastModified = modified, StorageClass = "GLACIER_IR" },
            new RestoreDecision(Verdict.Verify, SyncReason.ETagDiffers));

        using var folder = new TemporaryFolder(_temporary, "s3r-verify-");
        var before = Heap();
        var plan = new ExternalSorter<PlannedKey>(PlannedKeyOrder.Instance, new PlannedKeyFormat("src", "bkt"), RunSize, folder);
        for (var n = sorted.Count - 1; n >= 0; n--)
        {
            plan.Add(Planned(n));
        }
        var added = Heap() - before;
        var onDisk = Directory.EnumerateFiles(folder.Location!).Sum(file => new FileInfo(file).Length);
        var (index, merging) = (0, 0L);
        foreach (var planned in plan.Sorted(default))
        {
            Assert.Equal(sorted[index], planned.Key);
            Assert.Equal(($"sv{index}", $"bv{index}", "GLACIER_IR", modified, index), (planned.Source.VersionId, planned.Backup.VersionId, planned.Backup.StorageClass,
                planned.ToDecided().Candidate.PinnedBackup!.LastModified, planned.ToDecided().Candidate.Source!.Size));
            if (index++ % 20_000 == 10_000)
            {
                merging = Math.Max(merging, Heap() - before);
            }
        }
        Assert.Equal(sorted.Count, index);
        _output.WriteLine($"{sorted.Count:N0} keys planned, runs of {RunSize:N0}: {added / 1024:N0} KB once added ({added / (sorted.Count % RunSize):N0} B a key held), " +
            $"at most {merging / 1024:N0} KB while merging ({plan.SpilledRuns} runs, {onDisk / (sorted.Count - sorted.Count % RunSize):N0} B a key on disk)");
        Assert.True(added < 8L * 1024 * 1024, $"{added:N0} bytes held after planning {sorted.Count:N0} keys");
        Assert.True(merging < 16L * 1024 * 1024, $"{merging:N0} bytes held while merging");
        Assert.Empty(Directory.EnumerateFiles(folder.Location!));
    }

    /// <summary>Distinct keys in the join's order; made in a call of its own, so that nothing else it made is still alive when the heap is read.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<string> SortedKeys(int count) => Synthetic(count + count / 4).Keys.Select(key => key.Key).Distinct()
        .OrderBy(key => key, Comparer<string>.Create(ReadingOrder.Compare)).Take(count).ToList();

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
