using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CsCheck;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Transfer;

public class ParallelListingTests
{
    /// <summary>
    /// Key spaces that trip a range cutter: deep date folders, one prefix holding most keys, runs of '/', unicode
    /// (supplementary characters, whose UTF-16 and UTF-8 orders differ), 1,024-byte keys, flat counters.
    /// </summary>
    private static readonly Gen<string> Keys = Gen.Frequency(
        (9, Gen.Select(Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 400], (month, day, n) => $"imap/mag/l1a/2025/{month:D2}/{day:D2}/imap_mag_{n:D5}.cdf")),
        (1, Gen.Select(Pick("imap/swe/", "imap//mag/", "a b/", "x+y/", "100%/", "ünï/", "", "/", "Z/", "~"), Gen.Int[0, 300], (prefix, n) => $"{prefix}f{n}")),
        (1, Gen.Select(Pick("\uFFFD", "\uE000", "\U0001F600", "\u00E9", "e\u0301", "\u007F", "\u0001"), Gen.Int[0, 50], (odd, n) => $"k{odd}{n}")),
        (1, Gen.Int[0, 30].Select(n => new string('k', 1020) + n.ToString("D4"))),
        (2, Gen.Int[0, 99_999].Select(n => $"data/obj-{n:D7}")));

    /// <summary>Limits of a listing whose pages hold <c>pageSize</c> keys, as the fake pages below serve them.</summary>
    private static Gen<ListingLimits> Limits(int pageSize) =>
        Gen.Select(Gen.Int[1, 8], Gen.Int[1, 40], Gen.Int[0, 48], (concurrency, pages, cuts) => new ListingLimits(concurrency, pages * pageSize, cuts, pageSize));

    /// <summary>Every version of a key set: 1–3 versions a key, newest first, some of them delete markers (S3's version order).</summary>
    private static Gen<List<S3ObjectRecord>> Versions(int most) =>
        Gen.Select(Keys, Gen.Int[1, 3], Gen.Bool, (key, count, marker) => (key, count, marker)).Array[0, most].Select(drawn =>
            drawn.GroupBy(item => item.key, StringComparer.Ordinal).OrderBy(group => group.Key, KeyOrder.Instance)
                .SelectMany(group => Enumerable.Range(0, group.First().count).Select(index => new S3ObjectRecord
                {
                    Bucket = "b", Key = group.Key, VersionId = $"v{group.First().count - index}", IsLatest = index == 0,
                    IsDeleteMarker = index == 0 && group.First().marker,
                })).ToList());

    private static Gen<List<S3ObjectRecord>> Objects(int most) => Versions(most).Select(versions => versions.Where(version => version.IsLatest)
        .Select(version => new S3ObjectRecord { Bucket = "b", Key = version.Key }).ToList());

    private static async Task<List<S3ObjectRecord>> ReadAll(FakePages pages, string? prefix, ListingLimits limits, CancellationToken cancellationToken = default,
        Action<ParallelListing>? observe = null)
    {
        var read = new List<S3ObjectRecord>();
        await foreach (var item in ParallelListing.ReadAsync(pages, prefix, limits, cancellationToken, observe))
        {
            read.Add(item);
        }
        return read;
    }

    private static string Describe(IEnumerable<S3ObjectRecord> items) => string.Join("|", items.Select(item => item.Key + "@" + item.VersionId));

    [Fact]
    public void Parallel_listing_yields_exactly_what_a_page_after_page_listing_yields()
    {
        Gen.Int[1, 9].SelectMany(pageSize => Gen.Select(Versions(400), Limits(pageSize), Pick<string?>(null, "", "imap/", "imap/mag/l1a/2025/0", "data/", "k", "none/"),
                (versions, limits, prefix) => (versions, pageSize, limits, prefix)))
            .Sample(drawn =>
            {
                var (versions, pageSize, limits, prefix) = drawn;
                var pages = new FakePages(versions, prefix, pageSize);
                var parallel = ReadAll(pages, prefix, limits).GetAwaiter().GetResult();
                var expected = versions.Where(item => item.Key.StartsWith(prefix ?? "", StringComparison.Ordinal));
                Assert.Equal(Describe(expected), Describe(parallel));
            }, iter: 300, threads: 1);
    }

    [Fact]
    public async Task Versions_of_one_key_split_across_pages_stay_together_in_order()
    {
        var versions = Enumerable.Range(0, 3000).SelectMany(n => Enumerable.Range(0, 3).Select(v => new S3ObjectRecord { Bucket = "b", Key = $"data/obj-{n:D7}", VersionId = $"v{3 - v}" }))
            .ToList();
        var pages = new FakePages(versions, null, 10);
        var read = await ReadAll(pages, null, new ListingLimits(8, 2000, 48));
        Assert.Equal(Describe(versions), Describe(read));
        Assert.True(pages.MostInFlight > 1, "the listing was read one page at a time");
    }

    [Fact]
    public async Task Large_listings_are_read_in_parallel_ranges_and_small_ones_as_S3_pages_them()
    {
        var large = Enumerable.Range(0, 20_000).Select(n => new S3ObjectRecord { Bucket = "b", Key = $"imap/mag/l1a/2025/{n / 2000 + 1:D2}/{n % 2000:D5}.cdf" }).ToList();
        var pages = new FakePages(large, null, 100);
        Assert.Equal(Describe(large), Describe(await ReadAll(pages, null, new ListingLimits(16, 10_000, 48))));
        Assert.True(pages.MostInFlight >= 8, $"at most {pages.MostInFlight} pages were read at once");
        // Cut ranges are listed under their own prefixes (here the months), so their pages end where they do; only a range
        // that goes on after a cut reads past its new end, once (here pages are of 100 keys; of 1,000 on S3).
        Assert.Contains(pages.Prefixes, prefix => prefix.StartsWith("imap/mag/l1a/2025/0", StringComparison.Ordinal));
        Assert.True(pages.Served < 20_000 * 1.5, $"{pages.Served} objects were served for 20,000 keys");

        var small = large.Take(150).ToList();
        var twoPages = new FakePages(small, null, 100);
        Assert.Equal(Describe(small), Describe(await ReadAll(twoPages, null, ListingLimits.Default)));
        Assert.Equal(2, twoPages.Reads);
    }

    [Fact]
    public void Objects_held_ahead_of_the_reader_stay_within_the_limit()
    {
        Gen.Int[1, 9].SelectMany(pageSize => Gen.Select(Objects(600), Limits(pageSize), (objects, limits) => (objects, pageSize, limits))).Sample(drawn =>
        {
            var (objects, pageSize, limits) = drawn;
            var pages = new FakePages(objects, null, pageSize);
            ParallelListing? listing = null;
            ReadAll(pages, null, limits, observe: started => listing = started).GetAwaiter().GetResult();
            // Reads ahead of the reader start only with room for a whole page; the reader's own range keeps one page ahead of it.
            Assert.True(listing!.MostHeld <= limits.MaxHeld + 2 * pageSize, $"{listing.MostHeld} objects were held with a limit of {limits.MaxHeld}");
        }, iter: 200, threads: 1);
    }

    [Fact]
    public async Task A_failed_page_ends_the_listing_with_its_error_and_nothing_is_read_after_it_returns()
    {
        var objects = Enumerable.Range(0, 5000).Select(n => new S3ObjectRecord { Bucket = "b", Key = $"data/obj-{n:D7}" }).ToList();
        var pages = new FakePages(objects, null, 50) { FailAtRead = 12 };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ReadAll(pages, null, new ListingLimits(8, 2000, 48)));
        Assert.Equal("page 12 failed", error.Message);
        Assert.Equal(0, pages.InFlight);
    }

    [Fact]
    public async Task Stopping_the_reader_cancels_the_reads_and_waits_for_them()
    {
        var objects = Enumerable.Range(0, 50_000).Select(n => new S3ObjectRecord { Bucket = "b", Key = $"data/obj-{n:D7}" }).ToList();
        var pages = new FakePages(objects, null, 100) { Delay = TimeSpan.FromMilliseconds(20) };
        var taken = 0;
        await foreach (var item in ParallelListing.ReadAsync(pages, null, new ListingLimits(8, 5000, 48), CancellationToken.None))
        {
            if (++taken == 1500)
            {
                break;
            }
        }
        Assert.Equal(0, pages.InFlight);
        Assert.True(pages.Cancelled > 0, "no read in flight saw the stop");

        using var cancel = new CancellationTokenSource();
        var cancelled = new FakePages(objects, null, 100) { Delay = TimeSpan.FromMilliseconds(20), OnRead = read => { if (read == 20) cancel.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAll(cancelled, null, new ListingLimits(8, 5000, 48), cancel.Token));
        Assert.Equal(0, cancelled.InFlight);
    }

    [Fact]
    public void A_cut_puts_every_key_of_the_rest_of_the_range_in_exactly_one_part_under_its_prefix()
    {
        // The parts, checked against keys drawn around the cut (siblings, keys outside the class, supplementary characters):
        // each key after the last one listed and within the range's end is in the range's own rest or in exactly one part.
        var around = Gen.Select(Keys, Pick("", "0", "9", ":", "z", "{", "/", "\U0010FFFF", "\U0001F600x", "A"), (key, tail) => key + tail);
        Gen.Select(Keys, Keys, Keys, Gen.Int[1, 60], Pick("", "imap/", "data/obj-0", "k")).Sample((a, b, c, budget, prefix) =>
        {
            var sorted = new[] { a, b, c }.Select(key => prefix + key).OrderBy(key => key, KeyOrder.Instance).ToArray();
            var (pageFirst, after, upTo) = (sorted[0], sorted[1], sorted[2]);
            foreach (var end in new KeyBound?[] { new KeyBound(upTo, true), new KeyBound(upTo, false), null })
            {
                if (KeySpace.Cut(after, prefix, end, pageFirst, budget, 1000, 0) is not { } cut)
                {
                    continue;
                }
                Assert.True(cut.Parts.Count <= budget, $"{cut.Parts.Count} parts with a budget of {budget}");
                Assert.All(cut.Parts, part => Assert.True(WellFormed(part.Prefix) && (part.After is null || WellFormed(part.After)), $"part {part} splits a surrogate pair"));
                Assert.All(cut.Parts, part => Assert.StartsWith(prefix, part.Prefix, StringComparison.Ordinal));
                // Keys drawn around the cut, and the ones on its edges: each part's start and end, and what sorts just past them.
                var edges = cut.Parts.SelectMany(part => new[] { part.Prefix, part.After, part.After is { } start ? start + "x" : null, part.End?.Key, part.End is { } last ? last.Key + "x" : null, part.End is { } bound ? bound.Key + "\U0010FFFF" : null })
                    .Append(cut.ContinueTo.Key).Append(cut.ContinueTo.Key + "x").OfType<string>();
                foreach (var key in around.Array[40].Single().Select(key => prefix + key).Append(upTo).Append(after + "0").Concat(edges))
                {
                    var inRange = key.StartsWith(prefix, StringComparison.Ordinal) && KeyOrder.Instance.Compare(key, after) > 0 && !(end?.IsPast(key) ?? false);
                    var holders = (!cut.ContinueTo.IsPast(key) && inRange ? 1 : 0) + cut.Parts.Count(part => Holds(part, key));
                    Assert.True(holders == (inRange ? 1 : 0), $"'{key}' is in {holders} parts of the cut after '{after}' (end {end}): " +
                        string.Join("; ", cut.Parts.Select(part => $"{part.Prefix}|{part.After}|{part.End}")));
                }
            }
        }, iter: 3000);
    }

    private static bool Holds(KeyRangePart part, string key) =>
        key.StartsWith(part.Prefix, StringComparison.Ordinal) && (part.After is null || KeyOrder.Instance.Compare(key, part.After) > 0) && !(part.End?.IsPast(key) ?? false);

    [Fact]
    public void Cuts_follow_the_folders_dates_and_counters_of_the_last_page()
    {
        var cut = KeySpace.Cut("imap/mag/l1a/2025/01/03/imap_mag_00099.cdf", "imap/", null, "imap/mag/l1a/2025/01/01/imap_mag_00000.cdf", 48, 1000, 0)!;
        var prefixes = cut.Parts.Select(part => part.Prefix).ToList();
        // The days after the 3rd (the page's keys differed there), then the months after January, then the years.
        Assert.Equal(new KeyBound("imap/mag/l1a/2025/01/04", false), cut.ContinueTo);
        Assert.Contains("imap/mag/l1a/2025/01/1", prefixes);
        Assert.Contains("imap/mag/l1a/2025/02", prefixes);
        Assert.Contains("imap/mag/l1a/2025/1", prefixes);
        Assert.Contains("imap/mag/l1a/2026", prefixes);
        Assert.Equal("imap/", cut.Parts[^1].Prefix);

        var counters = KeySpace.Cut("data/obj-0000999", "data/", null, "data/obj-0000000", 48, 1000, 0)!;
        Assert.Equal(new[] { "data/obj-0001", "data/obj-0002" }, counters.Parts.Take(2).Select(part => part.Prefix));
        Assert.Contains("data/obj-001", counters.Parts.Select(part => part.Prefix));
        Assert.Contains("data/obj-1", counters.Parts.Select(part => part.Prefix));

        // A thousand keys spread over ten counters: siblings of a thousand keys are not worth a request each when two
        // thousand are wanted, siblings of ten thousand are.
        var worthIt = KeySpace.Cut("data/obj-0000999", "data/", null, "data/obj-0000000", 48, 1000, 2000)!;
        Assert.Equal(new KeyBound("data/obj-001", false), worthIt.ContinueTo);
        Assert.Equal("data/obj-001", worthIt.Parts[0].Prefix);
    }

    private static bool WellFormed(string text) =>
        Enumerable.Range(0, text.Length).All(index => char.IsHighSurrogate(text[index]) ? index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
            : !char.IsLowSurrogate(text[index]) || (index > 0 && char.IsHighSurrogate(text[index - 1])));

    /// <summary>A bucket's listing served from memory in S3's paging: after a key, or from where the previous page ended.</summary>
    private sealed class FakePages : IListingPages
    {
        private readonly List<S3ObjectRecord> _items;
        private readonly int _pageSize;
        private int _inFlight;

        public FakePages(IEnumerable<S3ObjectRecord> items, string? prefix, int pageSize)
        {
            _items = items.Where(item => item.Key.StartsWith(prefix ?? "", StringComparison.Ordinal)).ToList();
            _pageSize = pageSize;
        }

        public int Reads;
        public int MostInFlight;
        public int Cancelled;
        public long Served;
        public int? FailAtRead;
        public TimeSpan Delay;
        public Action<int>? OnRead;

        public int InFlight => Volatile.Read(ref _inFlight);

        /// <summary>Every request's prefix: the listing's, or a range's longer one.</summary>
        public readonly System.Collections.Concurrent.ConcurrentBag<string> Prefixes = new();

        public async Task<ListingPage> ReadAsync(string prefix, string? startAfter, object? next, CancellationToken cancellationToken)
        {
            var read = Interlocked.Increment(ref Reads);
            var inFlight = Interlocked.Increment(ref _inFlight);
            lock (this)
            {
                MostInFlight = Math.Max(MostInFlight, inFlight);
            }
            try
            {
                OnRead?.Invoke(read);
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, cancellationToken);
                }
                else
                {
                    await Task.Yield();
                }
                if (read == FailAtRead)
                {
                    throw new InvalidOperationException($"page {read} failed");
                }
                Prefixes.Add(prefix);
                var listed = _items.Where(item => item.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                var start = next is int index ? index : startAfter is null ? 0 : FirstAfter(listed, startAfter);
                var page = listed.Skip(start).Take(_pageSize).ToList();
                Interlocked.Add(ref Served, page.Count);
                return new ListingPage(page, start + _pageSize < listed.Count ? start + _pageSize : null);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref Cancelled);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static int FirstAfter(List<S3ObjectRecord> items, string key)
        {
            var index = 0;
            while (index < items.Count && KeyOrder.Instance.Compare(items[index].Key, key) <= 0)
            {
                index++;
            }
            return index;
        }
    }
}
