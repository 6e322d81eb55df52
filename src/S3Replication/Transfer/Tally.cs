using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>What became of one item of a run: the tally's categories, whatever the run does to its items.</summary>
internal enum ItemOutcome
{
    /// <summary>Copied, downloaded, uploaded or checked.</summary>
    Done,
    Skipped,
    Failed,

    /// <summary>Archived: a restore from Glacier comes first.</summary>
    NeedsRestore,

    /// <summary>Larger than the path the run takes can copy (Batch Operations: 5 GiB).</summary>
    TooLarge,

    /// <summary>What -WhatIf (or a declined -Confirm) would have done.</summary>
    Would,
    Removed,
    WouldRemove,
}

/// <summary>
/// Counts what a long-running cmdlet did with its items, by <see cref="ItemOutcome"/>, with the bytes moved and the time
/// taken; the one source of its progress line and its closing summary. Thread-safe: workers add, the pipeline thread
/// reads. The words are only for the text.
/// </summary>
internal sealed class Tally
{
    private static readonly ItemOutcome[] Order = (ItemOutcome[])Enum.GetValues(typeof(ItemOutcome));
    private readonly long[] _counts = new long[Order.Length];
    private readonly string[] _words;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private long _bytes;
    private long _expected = -1;
    private long _foreseen = -1;

    /// <param name="unit">What an item is, for the rate ("objects", "files").</param>
    /// <param name="done">What <see cref="ItemOutcome.Done"/> is called ("copied", "downloaded").</param>
    /// <param name="failed">What <see cref="ItemOutcome.Failed"/> is called ("failed", "unreadable").</param>
    /// <param name="would">What <see cref="ItemOutcome.Would"/> is called; "would be" and the done word by default.</param>
    public Tally(string unit, string done, string failed = "failed", string? would = null)
    {
        Unit = unit;
        _words = new[] { done, "skipped", failed, "need restore from archive", "too large for this path", would ?? "would be " + done, "removed", "would be removed" };
    }

    public string Unit { get; }

    public long this[ItemOutcome outcome] => Interlocked.Read(ref _counts[(int)outcome]);

    public long Total => Order.Sum(outcome => this[outcome]);

    public long Bytes => Interlocked.Read(ref _bytes);

    public TimeSpan Elapsed => _elapsed.Elapsed;

    /// <summary>
    /// How many items the run has: the larger of the items planned so far and a total counted ahead (<see cref="Foresee"/>);
    /// null while neither is known.
    /// </summary>
    public long? Expected => Math.Max(Interlocked.Read(ref _expected), Interlocked.Read(ref _foreseen)) is var expected and >= 0 ? expected : null;

    public void SetExpected(long count) => Interlocked.Exchange(ref _expected, count);

    /// <summary>A total counted beside the run (its selection listed once more), before the plan has reached it.</summary>
    public void Foresee(long count) => Interlocked.Exchange(ref _foreseen, count);

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

    public void Add(ItemOutcome outcome, long bytes = 0)
    {
        Interlocked.Increment(ref _counts[(int)outcome]);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>
    /// "2,000 copied (2.0 MiB, 690 objects/s), 3 skipped, 0 failed in 2.9 s": done, skipped and failed always, any other
    /// outcome only when it happened.
    /// </summary>
    public string Summary()
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        var parts = Order.Select(outcome => outcome switch
            {
                // A -WhatIf run did nothing but would: "0 copied (0 B, 0 objects/s)" before its "12 would be copied" is noise.
                ItemOutcome.Done when this[outcome] == 0 => this[ItemOutcome.Would] > 0 ? null
                    : string.Format(CultureInfo.InvariantCulture, "0 {0}", _words[(int)outcome]),
                ItemOutcome.Done => string.Format(CultureInfo.InvariantCulture, "{0:N0} {1} ({2}{3:N0} {4}/s)",
                    this[outcome], _words[(int)outcome], Bytes > 0 ? ByteSize.Format(Bytes) + ", " : "", this[outcome] / seconds, Unit),
                _ when outcome <= ItemOutcome.Failed || this[outcome] > 0 => string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}", this[outcome], _words[(int)outcome]),
                _ => null,
            })
            .Where(part => part is not null);
        return string.Join(", ", parts) + string.Format(CultureInfo.InvariantCulture, " in {0:N1} s", seconds);
    }

    /// <summary>The counts as a record, with the sentence shown at the end of the run.</summary>
    public TransferSummary ToSummary(string activity, string target, bool stopped)
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        return new TransferSummary
        {
            Activity = activity,
            Target = target,
            Total = Total,
            Transferred = this[ItemOutcome.Done],
            Skipped = this[ItemOutcome.Skipped],
            Failed = this[ItemOutcome.Failed],
            WouldTransfer = this[ItemOutcome.Would],
            NeedsRestore = this[ItemOutcome.NeedsRestore],
            TooLarge = this[ItemOutcome.TooLarge],
            Removed = this[ItemOutcome.Removed],
            WouldRemove = this[ItemOutcome.WouldRemove],
            Bytes = Bytes,
            Seconds = Math.Round(Elapsed.TotalSeconds, 3),
            ItemsPerSecond = this[ItemOutcome.Done] / seconds,
            BytesPerSecond = Bytes / seconds,
            Stopped = stopped,
            Text = $"{activity} to {target}{(stopped ? " (stopped early)" : "")}: {Summary()}",
        };
    }
}
