using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace S3Replication.Transfer;

/// <summary>
/// Counts what a long-running cmdlet did with its items, by outcome, with the bytes moved and the time taken; the one
/// source of its progress line and its closing summary. Thread-safe: workers add, the pipeline thread reads.
/// </summary>
internal sealed class Tally
{
    private readonly string[] _order;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private long _bytes;

    /// <param name="unit">What an item is, for the rate ("objects", "files").</param>
    /// <param name="order">The outcomes always named in the summary, the first one with bytes and rate.</param>
    public Tally(string unit, params string[] order)
    {
        Unit = unit;
        _order = order;
    }

    public string Unit { get; }

    public long this[string outcome] => _counts.TryGetValue(outcome, out var count) ? count : 0;

    public long Total => _counts.Values.Sum();

    public long Bytes => Interlocked.Read(ref _bytes);

    public TimeSpan Elapsed => _elapsed.Elapsed;

    /// <summary>How many items the run has, once its listing is complete (null while it is still listing, or for piped input).</summary>
    public long? Expected => Interlocked.Read(ref _expected) is var expected and >= 0 ? expected : null;

    private long _expected = -1;

    public void SetExpected(long count) => Interlocked.Exchange(ref _expected, count);

    /// <summary>Completed share of <see cref="Expected"/> (0–100), or null while the total is unknown.</summary>
    public int? PercentComplete => Expected is > 0 and var expected ? (int)Math.Min(100, Total * 100 / expected) : null;

    /// <summary>What is left at the rate so far, or null while the total is unknown or nothing has finished.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            var done = Total;
            if (Expected is not { } expected || done == 0)
            {
                return null;
            }
            return TimeSpan.FromSeconds(Math.Max(0, expected - done) * Elapsed.TotalSeconds / done);
        }
    }

    public void Add(string outcome, long bytes = 0)
    {
        _counts.AddOrUpdate(outcome, 1, (_, count) => count + 1);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>
    /// "2,000 copied (2.0 MiB, 690 objects/s), 3 skipped, 0 failed in 2.9 s": the first three outcomes of the order
    /// always, any other only when it happened.
    /// </summary>
    public string Summary()
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        var parts = _order.Select((outcome, index) => index == 0
                ? string.Format(CultureInfo.InvariantCulture, "{0:N0} {1} ({2}, {3:N0} {4}/s)", this[outcome], outcome, Records.ByteSize.Format(Bytes), this[outcome] / seconds, Unit)
                : index < AlwaysNamed || this[outcome] > 0 ? string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}", this[outcome], outcome) : null)
            .Concat(_counts.Keys.Except(_order).OrderBy(outcome => outcome, StringComparer.Ordinal)
                .Select(outcome => string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}", this[outcome], outcome)))
            .Where(part => part is not null);
        return string.Join(", ", parts) + string.Format(CultureInfo.InvariantCulture, " in {0:N1} s", seconds);
    }

    private const int AlwaysNamed = 3;

    /// <summary>-Mirror's outcomes (Sync only).</summary>
    public const string Removed = "removed", WouldRemove = "would be removed";

    /// <summary>
    /// The counts as a record: the first outcome of the order is what the run transfers; "skipped", "failed",
    /// "need restore from archive" and the "would be …" outcome keep their meaning across cmdlets.
    /// </summary>
    public Records.TransferSummary ToSummary(string activity, string target, bool stopped)
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        var would = _counts.Keys.Where(outcome => outcome.StartsWith("would", StringComparison.Ordinal) && outcome != WouldRemove).Sum(outcome => this[outcome]);
        return new Records.TransferSummary
        {
            Activity = activity,
            Target = target,
            Total = Total,
            Transferred = this[_order[0]],
            Skipped = this["skipped"],
            Failed = this["failed"],
            WouldTransfer = would,
            NeedsRestore = this["need restore from archive"],
            Removed = this[Removed],
            WouldRemove = this[WouldRemove],
            Bytes = Bytes,
            Elapsed = Elapsed,
            ItemsPerSecond = this[_order[0]] / seconds,
            BytesPerSecond = Bytes / seconds,
            Stopped = stopped,
            Text = $"{activity} to {target}{(stopped ? " (stopped early)" : "")}: {Summary()}",
        };
    }
}
