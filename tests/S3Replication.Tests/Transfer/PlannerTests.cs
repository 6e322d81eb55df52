using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CsCheck;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Transfer;

public class PlannerTests
{
    /// <summary>Keys that trip planners: spaces, +, %, runs of /, unicode, 1,024-byte keys, and characters whose UTF-16 and UTF-8 orders differ.</summary>
    private static readonly Gen<string> Keys = Gen.OneOf(
        Gen.Select(Pick("imap/", "imap//mag/", "a b/", "x+y/", "100%/", "ünï/", "", "/"), Gen.Int[0, 40], (prefix, n) => $"{prefix}f{n}"),
        Gen.Select(Pick("\uFFFD", "\uE000", "\U0001F600", "\u00E9", "e\u0301", "~", "\u007F"), Gen.Int[0, 5], (odd, n) => $"k{odd}{n}"),
        Gen.Int[0, 3].Select(n => new string('k', 1020) + n.ToString("D4")));

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }

    private static async IAsyncEnumerable<S3ObjectRecord> Listing(IEnumerable<S3ObjectRecord> records)
    {
        foreach (var record in records.OrderBy(record => record.Key, KeyOrder.Instance))
        {
            await Task.Yield();
            yield return record;
        }
    }

    private static Gen<Dictionary<string, (long Size, string ETag)>> Bucket =>
        Gen.Select(Keys, Gen.Int[0, 3], Pick("\"a\"", "\"b\"", "\"c-2\""), (key, size, etag) => (key, size, etag)).Array[0, 60]
            .Select(items => items.GroupBy(item => item.key, StringComparer.Ordinal).ToDictionary(group => group.Key, group => ((long)group.First().size, group.First().etag), StringComparer.Ordinal));

    [Fact]
    public void Key_order_is_utf8_byte_order()
    {
        Gen.Select(Keys, Keys).Sample((a, b) =>
        {
            var expected = Math.Sign(CompareUtf8(a, b));
            Assert.Equal(expected, Math.Sign(KeyOrder.Instance.Compare(a, b)));
        }, iter: 5000);
        // The pair where UTF-16 ordinal order is wrong: U+1F600 sorts after U+FFFD in UTF-8, before it in UTF-16.
        Assert.True(string.CompareOrdinal("\U0001F600", "\uFFFD") < 0);
        Assert.True(KeyOrder.Instance.Compare("\U0001F600", "\uFFFD") > 0);
    }

    private static int CompareUtf8(string a, string b)
    {
        var x = Encoding.UTF8.GetBytes(a);
        var y = Encoding.UTF8.GetBytes(b);
        for (var index = 0; index < Math.Min(x.Length, y.Length); index++)
        {
            if (x[index] != y[index])
            {
                return x[index].CompareTo(y[index]);
            }
        }
        return x.Length.CompareTo(y.Length);
    }

    [Fact]
    public void The_merge_join_agrees_with_a_reference_on_random_listings()
    {
        Gen.Select(Bucket, Bucket, Pick(CompareMode.ETag, CompareMode.Size, CompareMode.Always)).Sample((backup, source, mode) =>
        {
            static S3ObjectRecord Record(string bucket, string key, (long Size, string ETag) value) =>
                new() { Bucket = bucket, Key = key, Size = value.Size, ETag = value.ETag };

            var policy = new DecisionPolicy(mode);
            var planned = ToListAsync(SyncPlanner.Join(
                    Listing(backup.Select(pair => Record("backup", pair.Key, pair.Value))),
                    Listing(source.Select(pair => Record("source", pair.Key, pair.Value))))).GetAwaiter().GetResult()
                .Select(candidate => (candidate.Key, State: RestoreDecider.Decide(candidate, policy).StateOf(candidate)));

            var expected = backup.Keys.Union(source.Keys, StringComparer.Ordinal).OrderBy(key => key, KeyOrder.Instance).Select(key =>
            {
                var inBackup = backup.TryGetValue(key, out var b);
                var inSource = source.TryGetValue(key, out var s);
                var state = !inSource ? PlanState.MissingInSource
                    : !inBackup ? PlanState.MissingInBackup
                    : mode == CompareMode.Always || b.Size != s.Size || (mode == CompareMode.ETag && b.ETag != s.ETag) ? PlanState.Different
                    : PlanState.Equal;
                return (key, state);
            }).ToList();

            Assert.Equal(expected, planned.ToList());
        }, iter: 1000);
    }

    [Fact]
    public void A_same_size_change_is_different_by_etag_but_not_by_size()
    {
        var backup = new S3ObjectRecord { Key = "k", Size = 10, ETag = "\"aaaa\"" };
        var source = new S3ObjectRecord { Key = "k", Size = 10, ETag = "\"BBBB\"" };
        RestoreDecision Decide(S3ObjectRecord theirs, CompareMode mode) => RestoreDecider.Decide(new Candidate("k", backup, theirs), new DecisionPolicy(mode));
        var equalETag = new S3ObjectRecord { Key = "k", Size = 10, ETag = "AAAA" };
        Assert.Equal(new RestoreDecision(Verdict.Copy, SyncReason.ETagDiffers), Decide(source, CompareMode.ETag));
        Assert.Equal(new RestoreDecision(Verdict.Skip, SyncReason.SameSize), Decide(source, CompareMode.Size));
        Assert.Equal(new RestoreDecision(Verdict.Skip, SyncReason.SameETag), Decide(equalETag, CompareMode.ETag));
        // Auto and Checksum leave a same-size pair with different ETags to the objects' checksums; Auto settles equal ETags at once.
        Assert.Equal(Need.Content, Decide(source, CompareMode.Auto).Need);
        Assert.Equal(Need.Content, Decide(source, CompareMode.Checksum).Need);
        Assert.Equal(new RestoreDecision(Verdict.Skip, SyncReason.SameETag), Decide(equalETag, CompareMode.Auto));
        Assert.Equal(Need.Content, Decide(equalETag, CompareMode.Checksum).Need);
        Assert.Equal(new RestoreDecision(Verdict.Copy, SyncReason.SizeDiffers), Decide(new S3ObjectRecord { Key = "k", Size = 11, ETag = "AAAA" }, CompareMode.Auto));
    }

    [Fact]
    public void Point_in_time_selection_agrees_with_a_reference()
    {
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var versions = Gen.Select(Gen.Int[0, 4], Gen.Int[1, 100].Array[1, 6], Gen.Bool.Array[6], (key, minutes, markers) =>
            minutes.Distinct().OrderByDescending(minute => minute).Select((minute, index) => new S3ObjectRecord
            {
                Key = $"key{key}", VersionId = $"v{minute}", LastModified = start.AddMinutes(minute), IsDeleteMarker = markers[index % markers.Length],
            }).ToArray());
        Gen.Select(versions.Array[0, 6], Gen.Int[0, 110]).Sample((keys, minute) =>
        {
            var byKey = keys.GroupBy(versions => versions[0].Key).Select(group => group.First()).OrderBy(v => v[0].Key, KeyOrder.Instance).ToList();
            var instant = start.AddMinutes(minute);
            var chosen = ToListAsync(VersionSelector.AsOf(Listing(byKey.SelectMany(v => v)), instant)).GetAwaiter().GetResult();
            var expected = byKey.Select(v => CurrentAt(v, instant)).Where(v => v is not null).Select(v => v!.VersionId).ToList();
            Assert.Equal(expected, chosen.Select(v => v.VersionId).ToList());
        }, iter: 1000);
    }

    /// <summary>The point-in-time rule stated plainly over one key's versions in any order: the reference.</summary>
    private static S3ObjectRecord? CurrentAt(IEnumerable<S3ObjectRecord> versionsOfOneKey, DateTime instant)
    {
        var current = versionsOfOneKey.Where(version => version.LastModified <= instant).OrderByDescending(version => version.LastModified).FirstOrDefault();
        return current is { IsDeleteMarker: false } ? current : null;
    }

    [Theory]
    [InlineData("imap/mag/l1a/f.cdf", null, null, true)]
    [InlineData("imap/mag/l1a/f.cdf", "imap/mag/*", null, true)]
    [InlineData("imap/swe/l1a/f.cdf", "imap/mag/*", null, false)]
    [InlineData("imap/mag/l1a/f_v002.cdf", "imap/*", "*_v002.cdf", false)]
    [InlineData("imap/mag/l1a/f.CDF", "*.cdf", null, false)]
    [InlineData("a/b/c.txt", "a/*.txt", null, true)]
    [InlineData("f1.cdf", "f?.cdf", null, true)]
    [InlineData("f12.cdf", "f?.cdf", null, false)]
    [InlineData("fa.cdf", "f[abc].cdf", null, true)]
    [InlineData("fd.cdf", "f[!abc].cdf", null, true)]
    [InlineData("fa.cdf", "f[!abc].cdf", null, false)]
    [InlineData("a+b (1).txt", "a+b (?).txt", null, true)]
    public void Include_and_exclude_follow_the_documented_precedence(string key, string? include, string? exclude, bool kept)
    {
        var filter = new KeyFilter(include is null ? null : new[] { include }, exclude is null ? null : new[] { exclude });
        Assert.Equal(kept, filter.Keeps(key));
    }

    [Theory]
    [InlineData("imap/mag/l1a/imap_mag_l1a_1.cdf", "imap_mag_l1a*", "FileName", true)]
    [InlineData("imap/mag/l1a/imap_mag_l1a_1.cdf", "imap_mag_l1a*", "WholeKey", false)]
    [InlineData("imap/mag/l1a/f.CDF", "*.cdf", "IgnoreCase", true)]
    [InlineData("imap/mag/l1a/f.CDF", "*.cdf", "FileName", false)]
    [InlineData("IMAP/mag/f.CDF", "f.cdf", "FileName, IgnoreCase", true)]
    [InlineData("imap/mag/f.cdf", "imap/*", "FileName", false)]
    [InlineData("top-level.cdf", "top-*", "FileName", true)]
    public void Patterns_match_the_file_name_or_ignore_case_on_request(string key, string include, string match, bool kept) =>
        Assert.Equal(kept, new KeyFilter(new[] { include }, match: (KeyMatch)Enum.Parse(typeof(KeyMatch), match)).Keeps(key));

    [Fact]
    public void An_empty_selection_says_which_switch_would_have_matched()
    {
        var filter = new KeyFilter(new[] { "*.CDF" });
        var count = new SelectionCount();
        count.Watch(filter);
        foreach (var key in new[] { "imap/mag/a.cdf", "imap/mag/b.cdf", "readme.txt" })
        {
            count.Listed(key);
        }
        var warning = ObjectSelection.EmptySelectionWarning(count, "backup", "imap/", null, new[] { "*.CDF" }, null);
        Assert.Contains("None of the 3 object(s) under s3://backup/imap/ matched -Include '*.CDF'", warning);
        Assert.EndsWith("With -IgnoreCase they would match 2.", warning);

        var byName = new KeyFilter(new[] { "a*" });
        var named = new SelectionCount();
        named.Watch(byName);
        named.Listed("imap/mag/a.cdf");
        Assert.EndsWith("With -MatchFileName they would match 1.",
            ObjectSelection.EmptySelectionWarning(named, "backup", null, null, new[] { "a*" }, null));
    }

    [Fact]
    public void Modified_after_is_inclusive_and_before_exclusive()
    {
        var at = new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);
        var filter = new KeyFilter(modifiedAfter: at, modifiedBefore: at.AddHours(1));
        Assert.True(filter.Keeps(new S3ObjectRecord { Key = "k", LastModified = at }));
        Assert.False(filter.Keeps(new S3ObjectRecord { Key = "k", LastModified = at.AddHours(1) }));
        Assert.False(filter.Keeps(new S3ObjectRecord { Key = "k", LastModified = at.AddTicks(-1) }));
    }
}
