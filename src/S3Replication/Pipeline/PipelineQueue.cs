using System;
using System.Collections.Generic;
using System.Threading;

namespace S3Replication.Pipeline;

/// <summary>
/// The calls the pipeline thread performs for a cmdlet's workers: any thread adds, the pipeline thread (the one taker) takes, in order,
/// until adding is complete and the queue is empty. A lock with Monitor.Wait rather than BlockingCollection, whose
/// semaphore spins before it sleeps: with a restore's records arriving a millisecond or so apart, the pipeline thread
/// spun for every one (bench/PROFILE.md). For the same reason a taker that finds the queue empty first lingers for
/// a linger (<see cref="DefaultLinger"/>), woken only by an urgent item (one a worker or the phase waits on), and takes whatever came
/// meanwhile in one go; once it has lingered in vain every item wakes it. So a busy restore's records cost the pipeline
/// thread a wake-up per linger rather than one each, and nothing anyone waits on is held back.
/// </summary>
internal sealed class PipelineQueue<T>
{
    /// <summary>How long output may wait for the pipeline thread by default: well below what a person or a downstream command notices.</summary>
    public static readonly TimeSpan DefaultLinger = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// So many items waiting cut a linger short: a burst (a no-op run's records, thousands a second) is taken as it
    /// comes, while a restore's steady stream (about one a millisecond) still waits out the linger in tens.
    /// </summary>
    public const int WakeAtCount = 32;

    private readonly TimeSpan _linger;
    private readonly Queue<T> _items = new();
    private bool _completed;
    private Taker _taker;

    private enum Taker { Busy, Lingering, Waiting }

    public PipelineQueue(TimeSpan? linger = null) => _linger = linger ?? DefaultLinger;

    /// <summary>Whether the taker is lingering now (for tests that add while it does).</summary>
    internal bool TakerLingers
    {
        get
        {
            lock (_items)
            {
                return _taker == Taker.Lingering;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="item"/>; false once adding is complete (the pipeline stopped), when nothing is added. An
    /// <paramref name="urgent"/> item (someone waits for it to be taken) also cuts a linger short, as does a burst.
    /// </summary>
    public bool TryAdd(T item, bool urgent = false)
    {
        lock (_items)
        {
            if (_completed)
            {
                return false;
            }
            _items.Enqueue(item);
            if (_taker == Taker.Waiting || (_taker == Taker.Lingering && (urgent || _items.Count >= WakeAtCount)))
            {
                Monitor.Pulse(_items);
            }
            return true;
        }
    }

    /// <summary>No more items will be added: the taker gets those queued, and then the end.</summary>
    public void CompleteAdding()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>The items as they are added, waiting for each; ends once adding is complete and none is left.</summary>
    public IEnumerable<T> GetConsumingEnumerable()
    {
        while (TryTake(out var item))
        {
            yield return item;
        }
    }

    private bool TryTake(out T item)
    {
        lock (_items)
        {
            var lingered = false;
            while (_items.Count == 0)
            {
                if (_completed)
                {
                    item = default!;
                    return false;
                }
                // Lingering, only urgent items and completion (PulseAll) wake the taker; then any item does.
                _taker = lingered ? Taker.Waiting : Taker.Lingering;
                Monitor.Wait(_items, lingered ? Timeout.InfiniteTimeSpan : _linger);
                lingered = true;
                _taker = Taker.Busy;
            }
            item = _items.Dequeue();
            return true;
        }
    }
}
