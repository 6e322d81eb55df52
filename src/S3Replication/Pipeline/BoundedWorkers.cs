using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Transfer;

namespace S3Replication.Pipeline;

/// <summary>
/// Runs a bounded number of work items at once: a fixed number, or as many as an <see cref="AdaptiveConcurrency"/>
/// allows. <see cref="StartAsync"/> waits for a free slot (so input is throttled, not buffered), and
/// <see cref="WhenAllAsync"/> waits for the items still running. Each item handles its own failure; an exception
/// escaping an item is rethrown by WhenAllAsync.
/// </summary>
internal sealed class BoundedWorkers : IDisposable
{
    private readonly Func<CancellationToken, Task<IDisposable>> _acquire;
    private readonly SemaphoreSlim? _slots;
    private readonly ConcurrentDictionary<int, Task> _running = new();
    private int _nextId;

    public BoundedWorkers(int limit)
    {
        if (limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "At least one worker is needed.");
        }
        var slots = _slots = new SemaphoreSlim(limit, limit);
        _acquire = async token =>
        {
            await slots.WaitAsync(token).ConfigureAwait(false);
            return new Releaser(slots);
        };
    }

    public BoundedWorkers(AdaptiveConcurrency limit) =>
        _acquire = async token => await limit.AcquireAsync(token).ConfigureAwait(false);

    public async Task StartAsync(Func<Task> item, CancellationToken cancellationToken)
    {
        var slot = await _acquire(cancellationToken).ConfigureAwait(false);
        var id = Interlocked.Increment(ref _nextId);
        var task = Task.Run(async () =>
        {
            using (slot)
            {
                await item().ConfigureAwait(false);
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

    public void Dispose() => _slots?.Dispose();

    private sealed class Releaser : IDisposable
    {
        private SemaphoreSlim? _slots;

        public Releaser(SemaphoreSlim slots) => _slots = slots;

        public void Dispose() => Interlocked.Exchange(ref _slots, null)?.Release();
    }
}
