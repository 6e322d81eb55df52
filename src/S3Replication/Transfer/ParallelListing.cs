using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// Lists one bucket (or prefix) as ordered key ranges read at the same time, and yields the objects in S3's key order,
/// exactly as one page-after-page listing would. A range whose page comes back truncated is cut in parts
/// (<see cref="KeySpace"/>) while there are fewer ranges than twice the pages allowed in flight; ranges nearest the
/// reader are read first, and no range ahead of the reader is read while <see cref="ListingLimits.MaxHeld"/> objects
/// wait (the reader's own range keeps one page ahead of it), so memory is bounded whatever the bucket size. Small listings cost what a sequential one costs: a single
/// range is only cut at its second truncated page. Returns only when its own requests are done.
/// </summary>
internal sealed class ParallelListing
{
    /// <summary>
    /// How many pages a cut part is expected to hold at least: a request for a few keys costs as much as one for a
    /// thousand, and parts of one page each keep the reads near the reader parallel within the objects it may hold.
    /// </summary>
    private const int MinimumPartPages = 1;

    private readonly object _gate = new();
    private readonly IListingPages _pages;
    private readonly ListingLimits _limits;
    private readonly LinkedList<KeyRange> _ranges = new();
    private readonly HashSet<Task> _reading = new();
    private readonly CancellationTokenSource _stop;
    private TaskCompletionSource<bool> _changed = NewSignal();
    private long _held;
    private int _inFlight;
    private ExceptionDispatchInfo? _failure;

    private ParallelListing(IListingPages pages, string? prefix, ListingLimits limits, CancellationToken cancellationToken)
    {
        _pages = pages;
        _limits = limits;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ranges.AddLast(new KeyRange(prefix ?? "", null, null) { CutAfterPages = 2 });
    }

    /// <summary>Most objects held for the reader at once (what the memory bound is tested by).</summary>
    public long MostHeld { get; private set; }

    public static async IAsyncEnumerable<S3ObjectRecord> ReadAsync(IListingPages pages, string? prefix, ListingLimits limits,
        [EnumeratorCancellation] CancellationToken cancellationToken, Action<ParallelListing>? observe = null)
    {
        var listing = new ParallelListing(pages, prefix, limits, cancellationToken);
        observe?.Invoke(listing);
        using var wake = cancellationToken.Register(() => listing.Signal());
        try
        {
            lock (listing._gate)
            {
                listing.Pump();
            }
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                IReadOnlyList<S3ObjectRecord>? page = null;
                Task? changed = null;
                lock (listing._gate)
                {
                    listing._failure?.Throw();
                    var head = listing._ranges.First?.Value;
                    if (head is null)
                    {
                        yield break;
                    }
                    if (head.Held.Count > 0)
                    {
                        page = head.Held.Dequeue();
                        listing._held -= page.Count;
                        listing.Pump();
                    }
                    else if (head.Done)
                    {
                        listing._ranges.RemoveFirst();
                        listing.Pump();
                        continue;
                    }
                    else
                    {
                        changed = listing._changed.Task;
                    }
                }
                if (page is null)
                {
                    await changed!.ConfigureAwait(false);
                    continue;
                }
                foreach (var item in page)
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await listing.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Cancels what is still being read and waits for it, so nothing of this listing outlives it.</summary>
    private async Task StopAsync()
    {
        _stop.Cancel();
        Task[] reading;
        lock (_gate)
        {
            reading = new Task[_reading.Count];
            _reading.CopyTo(reading);
        }
        try
        {
            await Task.WhenAll(reading).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each read's failure was recorded (or was the cancellation itself); the listing's own outcome is already decided.
        }
        _stop.Dispose();
    }

    /// <summary>Starts reads, nearest ranges first, while pages may be in flight and the objects held stay within bounds. Under the gate.</summary>
    private void Pump()
    {
        if (_failure is not null || _stop.IsCancellationRequested)
        {
            return;
        }
        var isHead = true;
        for (var node = _ranges.First; node is not null && _inFlight < _limits.Concurrency; node = node.Next, isHead = false)
        {
            var range = node.Value;
            if (range.Done || range.Reading)
            {
                continue;
            }
            // The reader's own range reads one page ahead of it whatever is held; all else waits for room.
            if (_held + (_inFlight + 1L) * _limits.PageSize > _limits.MaxHeld && !(isHead && range.Held.Count <= 1))
            {
                break;
            }
            range.Reading = true;
            _inFlight++;
            _reading.Add(ReadPageAsync(node));
        }
    }

    private async Task ReadPageAsync(LinkedListNode<KeyRange> node)
    {
        var range = node.Value;
        ListingPage page;
        try
        {
            await Task.Yield();
            page = await _pages.ReadAsync(range.Prefix, range.Next is null ? range.After : null, range.Next, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            lock (_gate)
            {
                range.Reading = false;
                _inFlight--;
                if (!_stop.IsCancellationRequested)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(error);
                }
                Forget();
            }
            Signal();
            return;
        }
        lock (_gate)
        {
            range.Reading = false;
            _inFlight--;
            try
            {
                Take(node, page);
                Pump();
            }
            catch (Exception error)
            {
                // A fault of this listing's own (never of S3's answer, which Take only reads): end the listing with it rather than hang its reader.
                _failure ??= ExceptionDispatchInfo.Capture(error);
            }
            Forget();
        }
        Signal();
    }

    /// <summary>Drops the finished reads from the set StopAsync waits on (the calling read is dropped by the next one). Under the gate.</summary>
    private void Forget() => _reading.RemoveWhere(read => read.IsCompleted);

    /// <summary>Holds a page's objects that belong to its range, and cuts the rest of the range while more ranges are wanted. Under the gate.</summary>
    private void Take(LinkedListNode<KeyRange> node, ListingPage page)
    {
        var range = node.Value;
        range.PagesRead++;
        var kept = new List<S3ObjectRecord>(page.Items.Count);
        foreach (var item in page.Items)
        {
            if (range.End is { } end && end.IsPast(item.Key))
            {
                range.Done = true;
                break;
            }
            kept.Add(item);
        }
        if (page.Next is null)
        {
            range.Done = true;
        }
        range.Next = page.Next;
        if (kept.Count > 0)
        {
            range.Held.Enqueue(kept);
            _held += kept.Count;
            MostHeld = Math.Max(MostHeld, _held);
        }
        var open = OpenRanges();
        if (range.Done || kept.Count == 0 || range.PagesRead < range.CutAfterPages || open >= 2 * _limits.Concurrency)
        {
            return;
        }
        var cut = KeySpace.Cut(kept[kept.Count - 1].Key, range.Prefix, range.End, kept[0].Key,
            Math.Min(_limits.CutsPerSplit, 2 * _limits.Concurrency - open), kept.Count, MinimumPartPages * kept.Count);
        if (cut is null)
        {
            return;
        }
        range.End = cut.ContinueTo;
        var after = node;
        foreach (var part in cut.Parts)
        {
            after = _ranges.AddAfter(after, new KeyRange(part.Prefix, part.After, part.End));
        }
    }

    /// <summary>Ranges not yet read to their end. Under the gate.</summary>
    private int OpenRanges()
    {
        var open = 0;
        foreach (var range in _ranges)
        {
            open += range.Done ? 0 : 1;
        }
        return open;
    }

    private void Signal()
    {
        TaskCompletionSource<bool> changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSignal();
        }
        changed.TrySetResult(true);
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The keys under <see cref="Prefix"/> after <see cref="After"/> up to <see cref="End"/> (null: the end of the prefix).</summary>
    private sealed class KeyRange
    {
        public KeyRange(string prefix, string? after, KeyBound? end)
        {
            Prefix = prefix;
            After = after;
            End = end;
        }

        /// <summary>What every key of the range starts with: the listing's prefix, or longer, so its pages end where it does.</summary>
        public string Prefix { get; }

        public string? After { get; }

        public KeyBound? End { get; set; }

        /// <summary>Where the next page starts; null before the first page.</summary>
        public object? Next { get; set; }

        public bool Reading { get; set; }

        public bool Done { get; set; }

        public int PagesRead { get; set; }

        /// <summary>A range made by a cut is cut again at its first truncated page; the whole listing only at its second.</summary>
        public int CutAfterPages { get; init; } = 1;

        public Queue<IReadOnlyList<S3ObjectRecord>> Held { get; } = new();
    }
}
