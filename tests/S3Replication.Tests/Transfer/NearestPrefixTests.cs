using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CsCheck;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

public class NearestPrefixTests
{
    [Theory]
    [InlineData("imap/mag/l1a/2025/3/", "imap/mag/l1a/2025/|imap/mag/l1a/|imap/mag/|imap/|")]
    [InlineData("imap/mag/l1a/2025/3", "imap/mag/l1a/2025/|imap/mag/l1a/|imap/mag/|imap/|")]
    [InlineData("imap/", "")]
    [InlineData("imap", "")]
    [InlineData("/", "")]
    [InlineData("a//b/", "a//|a/|")]
    public void The_folders_above_a_prefix_deepest_first_down_to_the_top(string prefix, string expected) =>
        Assert.Equal(expected.Split('|'), NearestPrefix.ParentsOf(prefix));

    [Fact]
    public void Every_parent_is_a_proper_folder_prefix_of_the_prefix_and_they_shrink()
    {
        Gen.String[Gen.Char["ab/"], 0, 12].Sample(prefix =>
        {
            var parents = NearestPrefix.ParentsOf(prefix).ToList();
            Assert.Equal("", parents[^1]);
            foreach (var parent in parents.Take(parents.Count - 1))
            {
                Assert.EndsWith("/", parent);
                Assert.StartsWith(parent, prefix, StringComparison.Ordinal);
                Assert.True(parent.Length < prefix.Length, "a parent is shorter than the prefix: the prefix itself selected nothing");
            }
            Assert.Equal(parents.OrderByDescending(parent => parent.Length), parents);
        });
    }

    [Fact]
    public async Task Names_what_the_deepest_folder_with_keys_holds_asking_one_level_at_a_time()
    {
        var keys = new[] { "imap/mag/l1a/2025/01/a.cdf", "imap/mag/l1a/2025/02/b.cdf", "imap/mag/l1a/2025/index.csv", "imap/swe/x" };
        var asked = new List<string>();

        var hint = await NearestPrefix.HintAsync("backup", "imap/mag/l1a/2025/3/", Level(keys, asked), CancellationToken.None);

        Assert.Equal("No key of s3://backup starts with 'imap/mag/l1a/2025/3/'. Under 'imap/mag/l1a/2025/' there are: 01/, 02/, index.csv.", hint);
        Assert.Equal(new[] { "imap/mag/l1a/2025/" }, asked);
    }

    [Fact]
    public async Task Climbs_until_a_folder_has_keys_and_says_how_many_when_there_are_more_than_it_names()
    {
        var keys = Enumerable.Range(1, 20).Select(n => $"imap/i{n:D2}/x").ToArray();
        var asked = new List<string>();

        var hint = await NearestPrefix.HintAsync("backup", "imap/nope/l1a/", Level(keys, asked), CancellationToken.None);

        Assert.Equal(new[] { "imap/nope/", "imap/" }, asked);
        Assert.StartsWith("No key of s3://backup starts with 'imap/nope/l1a/'. Under 'imap/' there are: i01/, i02/,", hint);
        Assert.EndsWith("i12/, … (20 in all).", hint);
    }

    [Fact]
    public async Task A_full_page_of_a_thousand_entries_is_not_taken_for_all_of_them()
    {
        var keys = Enumerable.Range(0, 1500).Select(n => $"imap/{n:D4}.cdf").ToArray();
        Func<string, CancellationToken, Task<IReadOnlyList<string>>> firstPage = async (prefix, token) =>
            (await Level(keys, new List<string>())(prefix, token)).Take(1000).ToList();

        var hint = await NearestPrefix.HintAsync("backup", "imap/nope/", firstPage, CancellationToken.None);

        Assert.EndsWith("0011.cdf, … (1,000 or more in all).", hint);
    }

    [Fact]
    public async Task An_empty_bucket_gets_no_hint_and_the_top_is_named_as_such()
    {
        Assert.Null(await NearestPrefix.HintAsync("backup", "imap/x/", Level(Array.Empty<string>(), new List<string>()), CancellationToken.None));
        Assert.Equal("No key of s3://backup starts with 'data/'. Under the top of the bucket there are: imap/.",
            await NearestPrefix.HintAsync("backup", "data/", Level(new[] { "imap/a" }, new List<string>()), CancellationToken.None));
    }

    /// <summary>A delimited listing of <paramref name="keys"/>: the folders, then the keys, directly under a prefix.</summary>
    private static Func<string, CancellationToken, Task<IReadOnlyList<string>>> Level(IEnumerable<string> keys, List<string> asked) => (prefix, _) =>
    {
        asked.Add(prefix);
        var under = keys.Where(key => key.StartsWith(prefix, StringComparison.Ordinal)).Select(key => key.Substring(prefix.Length)).ToList();
        var folders = under.Where(rest => rest.Contains('/')).Select(rest => prefix + rest.Substring(0, rest.IndexOf('/') + 1)).Distinct();
        var files = under.Where(rest => !rest.Contains('/')).Select(rest => prefix + rest);
        return Task.FromResult<IReadOnlyList<string>>(folders.OrderBy(f => f, StringComparer.Ordinal).Concat(files.OrderBy(f => f, StringComparer.Ordinal)).ToList());
    };
}
