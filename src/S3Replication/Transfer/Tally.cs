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

    public void Add(string outcome, long bytes = 0)
    {
        _counts.AddOrUpdate(outcome, 1, (_, count) => count + 1);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>"2000 copied (2.0 MB, 690 objects/s), 3 skipped, 0 failed in 2.9 s", with outcomes outside the order after them.</summary>
    public string Summary()
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        var parts = _order.Select((outcome, index) => index == 0
                ? string.Format(CultureInfo.InvariantCulture, "{0} {1} ({2:N1} MB, {3:N0} {4}/s)", this[outcome], outcome, Bytes / 1e6, this[outcome] / seconds, Unit)
                : $"{this[outcome]} {outcome}")
            .Concat(_counts.Keys.Except(_order).OrderBy(outcome => outcome, StringComparer.Ordinal).Select(outcome => $"{this[outcome]} {outcome}"));
        return string.Join(", ", parts) + string.Format(CultureInfo.InvariantCulture, " in {0:N1} s", seconds);
    }
}
