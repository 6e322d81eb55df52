using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Pipeline;

/// <summary>
/// Runs at most N work items at once. <see cref="StartAsync"/> waits for a free slot (so input is throttled, not
/// buffered), and <see cref="WhenAllAsync"/> waits for the items still running. Each item handles its own failure;
/// an exception escaping an item is rethrown by WhenAllAsync.
/// </summary>
internal sealed class BoundedWorkers : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<int, Task> _running = new();
    private int _nextId;

    public BoundedWorkers(int limit)
    {
        if (limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "At least one worker is needed.");
        }
        _slots = new SemaphoreSlim(limit, limit);
    }

    public async Task StartAsync(Func<Task> item, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var id = Interlocked.Increment(ref _nextId);
        var task = Task.Run(async () =>
        {
            try { await item().ConfigureAwait(false); }
            finally
            {
                _slots.Release();
            }
        }, CancellationToken.None);
        _running[id] = task;
        _ = task.ContinueWith(done =>
        {
            // Finished items leave the set unless they failed: WhenAllAsync must still see a failure.
            if (!done.IsFaulted)
            {
                _running.TryRemove(id, out _);
            }
        }, TaskScheduler.Default);
    }

    public Task WhenAllAsync() => Task.WhenAll(_running.Values.ToArray());

    public void Dispose() => _slots.Dispose();
}
