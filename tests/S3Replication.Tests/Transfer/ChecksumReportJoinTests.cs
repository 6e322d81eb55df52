using System;
using System.Collections.Generic;
using System.Linq;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Transfer;
using S3Replication.Transfer.Inventory;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// The join of a compute-checksum report to the keys compared (ChecksumReportJoin). AWS documents no encoding for a
/// completion report's keys: percent-encoding ('a%20b', as the manifests are written) and form encoding ('a+b' for a
/// space, as code written against real reports and S3 Inventory read them) must both give each key its own task, and
/// where a row could be either of two keys compared, neither may be decided by the other's checksum.
/// </summary>
public class ChecksumReportJoinTests
{
    private const string Report = "the completion report of job j1";

    /// <summary>Distinct CRC64NVME checksums, one per key's content.</summary>
    private static readonly Dictionary<string, string> Content = new()
    {
        ["space"] = "0000000000000001", ["plus"] = "0000000000000002", ["other"] = "0000000000000003", ["k"] = "0000000000000004",
    };

    private static BatchTaskResult Row(string reportKey, string content, string? version = null, string bucket = "bkt") =>
        new(bucket, reportKey, version, "succeeded", "200", null, $$"""{"checksum_hex":"{{Content[content]}}","checksumAlgorithm":"CRC64NVME"}""");

    /// <summary>
    /// The keys and rows of one report, joined by the bounded join (with runs of two readings, so every case goes through
    /// the disk and the merge) and held to the in-memory oracle: each question is asked of both, and must be answered alike.
    /// </summary>
    private sealed class Joined
    {
        private readonly IReadOnlyList<string> _keys;
        private readonly BatchTaskResult[] _rows;

        public Joined(IReadOnlyList<string> keys, BatchTaskResult[] rows) => (_keys, _rows) = (keys, rows);

        public ChecksumTask TaskFor(string key, string? pinnedVersion, string notReported)
        {
            var oracle = new InMemoryReportJoin("bkt", _keys, "CRC64NVME", Report);
            using var folder = new TemporaryFolder(name: "s3r-test-");
            using var join = new ChecksumReportJoin("bkt", "CRC64NVME", Report, folder, runSize: 2);
            foreach (var row in _rows)
            {
                oracle.Add(row);
                join.Add(row);
            }
            var task = join.TaskFor(key, Math.Max(1, _keys.Count(given => given == key)), pinnedVersion, notReported);
            Assert.Equal(Shape(oracle.TaskFor(key, pinnedVersion, notReported)), Shape(task));
            return task;
        }
    }

    /// <summary>A task as values (a checksum's bytes are an array, which a record compares by reference).</summary>
    internal static (string?, string?, string?, string?) Shape(ChecksumTask task) => (task.Checksum?.Algorithm, task.Checksum?.Base64, task.Problem, task.ErrorCode);

    private static Joined Join(IEnumerable<string> keys, params BatchTaskResult[] rows) => new(keys.ToList(), rows);

    private static string? HexOf(ChecksumTask task) => task.Checksum is { } checksum ? Hex.Of(checksum.Value) : null;

    [Theory]
    [InlineData("data/b%20c.csv")]
    [InlineData("data/b+c.csv")]
    [InlineData("data/b c.csv")]
    public void A_key_with_a_space_is_found_under_either_encoding(string reportKey)
    {
        var task = Join(new[] { "data/b c.csv" }, Row(reportKey, "space")).TaskFor("data/b c.csv", null, "not reported");
        Assert.Equal(Content["space"], HexOf(task));
    }

    [Theory]
    [InlineData("x%2By%25z.csv", "x+y%z.csv")]
    [InlineData("%C3%BCn%C3%AF%2B.csv", "ünï+.csv")]
    [InlineData("a%20b/c+d%2Be.csv", "a b/c d+e.csv")]
    public void Percent_encoded_plus_signs_stay_plus_signs(string reportKey, string key) =>
        Assert.Equal(Content["k"], HexOf(Join(new[] { key }, Row(reportKey, "k")).TaskFor(key, null, "not reported")));

    /// <summary>How a report could spell 'a b' and 'a+b': percent-encoded, form-encoded, and with '+' left as it is.</summary>
    public static TheoryData<string, string, string> Encodings => new()
    {
        { "percent-encoding", "a%20b", "a%2Bb" },
        { "form encoding ('+' for a space)", "a+b", "a%2Bb" },
        { "'+' left as it is", "a%20b", "a+b" },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void A_b_and_a_plus_b_compared_together_are_never_decided_by_each_other(string encoding, string spaceSpelling, string plusSpelling)
    {
        var keys = new[] { "a b", "a+b" };
        // Both orders of the rows: no row may win by coming first.
        foreach (var rows in new[] { new[] { Row(spaceSpelling, "space"), Row(plusSpelling, "plus") }, new[] { Row(plusSpelling, "plus"), Row(spaceSpelling, "space") } })
        {
            var join = Join(keys, rows);
            var space = join.TaskFor("a b", null, "not reported");
            var plus = join.TaskFor("a+b", null, "not reported");
            Assert.True(HexOf(space) is null || HexOf(space) == Content["space"], $"{encoding}: 'a b' took another key's checksum");
            Assert.True(HexOf(plus) is null || HexOf(plus) == Content["plus"], $"{encoding}: 'a+b' took another key's checksum");
            foreach (var task in new[] { space, plus }.Where(task => task.Checksum is null))
            {
                Assert.StartsWith($"2 rows of {Report} read as this key (", task.Problem);
            }
        }
    }

    [Fact]
    public void Under_form_encoding_the_key_only_one_row_can_be_is_verified_and_the_other_is_not()
    {
        var join = Join(new[] { "a b", "a+b" }, Row("a+b", "space"), Row("a%2Bb", "plus"));
        Assert.Equal(Content["space"], HexOf(join.TaskFor("a b", null, "not reported")));
        Assert.Equal("2 rows of the completion report of job j1 read as this key ('a+b', 'a%2Bb'), so which is its own cannot be told",
            join.TaskFor("a+b", null, "not reported").Problem);
    }

    [Fact]
    public void A_wrong_equal_is_impossible_across_both_sides_under_form_encoding()
    {
        // The backup's 'a+b' has other bytes than the source's; its 'a b' the same. Under form encoding, 'a b''s row reads
        // as 'a+b' too: were it taken for 'a+b' on both sides, 'a+b' would be Equal.
        var keys = new[] { "a b", "a+b" };
        var source = Join(keys, Row("a+b", "space"), Row("a%2Bb", "plus"));
        var backup = Join(keys, Row("a+b", "space"), Row("a%2Bb", "other"));
        ChecksumVerdict Verdict(string key) => ChecksumMatch.Decide(source.TaskFor(key, null, "not reported"), backup.TaskFor(key, null, "not reported"));

        Assert.Equal(PlanState.Equal, Verdict("a b").State);
        Assert.Equal((PlanState.Unverified, SyncReason.TaskFailed), (Verdict("a+b").State, Verdict("a+b").Reason));
        Assert.Contains("source: 2 rows of", Verdict("a+b").Error);
    }

    [Fact]
    public void A_key_reported_twice_is_unverified_whatever_the_rows_say()
    {
        var failedThenSucceeded = Join(new[] { "k" }, new BatchTaskResult("bkt", "k", null, "failed", "500", "InternalError", "retry"), Row("k", "k"));
        Assert.Equal("2 rows of the completion report of job j1 read as this key ('k', 'k'), so which is its own cannot be told",
            failedThenSucceeded.TaskFor("k", null, "not reported").Problem);
        Assert.Null(failedThenSucceeded.TaskFor("k", null, "not reported").Checksum);

        var four = Join(new[] { "k" }, Row("k", "k"), Row("k", "k"), Row("k", "other"), Row("k", "k"));
        Assert.EndsWith("read as this key ('k', 'k', 'k', ...), so which is its own cannot be told", four.TaskFor("k", null, "not reported").Problem);
    }

    [Fact]
    public void A_key_compared_twice_says_so()
    {
        var join = Join(new[] { "k", "k" }, Row("k", "k", "v1"), Row("k", "other", "v2"));
        Assert.Equal("2 rows of the completion report of job j1 read as this key ('k', 'k'), so which is its own cannot be told; " +
            "the key was compared 2 times (compare one version of a key at a time)", join.TaskFor("k", "v1", "not reported").Problem);
    }

    [Theory]
    [InlineData("v1", "v1", true)]
    [InlineData("v1", "v2", false)]
    [InlineData("v1", null, false)]
    [InlineData("null", "null", true)]
    [InlineData("null", null, true)]
    [InlineData("null", "v1", false)]
    public void A_pinned_row_must_name_the_version_compared(string pinned, string? reported, bool taken)
    {
        var task = Join(new[] { "k" }, Row("k", "k", reported)).TaskFor("k", pinned, "not reported");
        if (taken)
        {
            Assert.Equal(Content["k"], HexOf(task));
            return;
        }
        Assert.Null(task.Checksum);
        Assert.Equal($"its row in {Report} names version {reported ?? "(none)"}, not the version compared ({pinned})", task.Problem);
    }

    [Fact]
    public void An_unpinned_key_takes_its_row_whatever_version_it_names()
    {
        Assert.Equal(Content["k"], HexOf(Join(new[] { "k" }, Row("k", "k", "v7")).TaskFor("k", null, "not reported")));
    }

    [Fact]
    public void Rows_of_another_bucket_and_keys_no_row_reads_as_are_not_reported()
    {
        var join = Join(new[] { "k", "lost" }, Row("k", "k", bucket: "other-bucket"), Row("unplanned", "other"));
        Assert.Equal((null, "not in the completion report of job j1, which ended Complete"),
            (join.TaskFor("k", null, "not in the completion report of job j1, which ended Complete").Checksum, join.TaskFor("k", null, "not in the completion report of job j1, which ended Complete").Problem));
        Assert.Equal("not reported", join.TaskFor("lost", null, "not reported").Problem);
    }

    [Fact]
    public void A_failed_task_is_the_keys_failure()
    {
        var task = Join(new[] { "a b" }, new BatchTaskResult("bkt", "a+b", null, "failed", "403", "AccessDenied", "Access Denied")).TaskFor("a b", null, "x");
        Assert.Equal(("AccessDenied", "task failed: 403 AccessDenied (Access Denied)"), (task.ErrorCode, task.Problem));
    }

    [Theory]
    [InlineData("a%20b", new[] { "a b" })]
    [InlineData("a+b", new[] { "a+b", "a b" })]
    [InlineData("a%2Bb", new[] { "a+b" })]
    [InlineData("a+b%2Bc", new[] { "a+b+c", "a b+c" })]
    [InlineData("plain/key.csv", new[] { "plain/key.csv" })]
    public void A_report_key_is_read_both_ways_where_they_differ(string reportKey, string[] readings) =>
        Assert.Equal(readings, BatchReport.KeyReadings(reportKey));
}
