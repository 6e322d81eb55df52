using System.Collections.Generic;
using System.Threading;

namespace S3Replication.Pipeline;

/// <summary>
/// The calls the pipeline thread performs for a cmdlet's workers: any thread adds, the pipeline thread takes, in order,
/// until adding is complete and the queue is empty. A lock with Monitor.Wait rather than BlockingCollection, whose
/// semaphore spins before it sleeps: with a restore's records arriving a millisecond or so apart, the pipeline thread
/// spun for every one (bench/PROFILE.md).
/// </summary>
internal sealed class PipelineQueue<T>
{
    private readonly Queue<T> _items = new();
    private bool _completed;
    private bool _waiting;

    /// <summary>Adds <paramref name="item"/>; false once adding is complete (the pipeline stopped), when nothing is added.</summary>
    public bool TryAdd(T item)
    {
        lock (_items)
        {
            if (_completed)
            {
                return false;
            }
            _items.Enqueue(item);
            if (_waiting)
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
            while (_items.Count == 0)
            {
                if (_completed)
                {
                    item = default!;
                    return false;
                }
                _waiting = true;
                Monitor.Wait(_items);
                _waiting = false;
            }
            item = _items.Dequeue();
            return true;
        }
    }
}
