using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>
/// The bytes a whole run may hold in part buffers, shared by every object and part in flight. A part waits until its
/// buffer fits; buffers are reused rather than left to the garbage collector, so the process never holds more than
/// the budget in them (a buffer of another size is dropped to make room only when no buffer of the wanted size is free).
/// </summary>
internal sealed class BufferBudget
{
    private readonly object _lock = new();
    private readonly Dictionary<int, Stack<byte[]>> _free = new();
    private readonly LinkedList<(int Size, TaskCompletionSource<byte[]> Waiter)> _waiting = new();
    private long _allocated;
    private long _peakInUse;
    private long _inUse;

    public BufferBudget(long limit)
    {
        if (limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "The buffer budget must be positive.");
        }
        Limit = limit;
    }

    public long Limit { get; }

    /// <summary>The most bytes that were lent out at once.</summary>
    public long PeakInUse => Interlocked.Read(ref _peakInUse);

    /// <summary>Bytes held in buffers, lent out or free for reuse; never above <see cref="Limit"/>.</summary>
    public long Allocated
    {
        get { lock (_lock) { return _allocated; } }
    }

    /// <summary>A buffer of exactly <paramref name="size"/> bytes, once the budget has room for it.</summary>
    public async Task<Lease> RentAsync(int size, CancellationToken cancellationToken)
    {
        if (size > Limit)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"A part of {size:N0} bytes does not fit the buffer budget of {Limit:N0} bytes.");
        }
        TaskCompletionSource<byte[]> waiter;
        LinkedListNode<(int, TaskCompletionSource<byte[]>)> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && TryTake(size) is { } ready)
            {
                return new Lease(this, ready);
            }
            waiter = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast((size, waiter));
        }
        using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    waiter.TrySetCanceled(cancellationToken);
                }
            }
        }))
        {
            return new Lease(this, await waiter.Task.ConfigureAwait(false));
        }
    }

    /// <summary>Under the lock: a free buffer of the size, or a new one if the budget allows (dropping free ones of other sizes).</summary>
    private byte[]? TryTake(int size)
    {
        byte[]? buffer = null;
        if (_free.TryGetValue(size, out var same) && same.Count > 0)
        {
            buffer = same.Pop();
        }
        else
        {
            foreach (var other in _free.Values)
            {
                while (_allocated + size > Limit && other.Count > 0)
                {
                    _allocated -= other.Pop().Length;
                }
            }
            if (_allocated + size <= Limit)
            {
                _allocated += size;
                buffer = new byte[size];
            }
        }
        if (buffer is not null)
        {
            _inUse += size;
            _peakInUse = Math.Max(_peakInUse, _inUse);
        }
        return buffer;
    }

    private void Return(byte[] buffer)
    {
        var handOff = new List<(TaskCompletionSource<byte[]> Waiter, byte[] Buffer)>();
        lock (_lock)
        {
            _inUse -= buffer.Length;
            if (!_free.TryGetValue(buffer.Length, out var stack))
            {
                _free[buffer.Length] = stack = new Stack<byte[]>();
            }
            stack.Push(buffer);
            // First come, first served: a large part is not starved by a stream of small ones.
            while (_waiting.First is { } first && TryTake(first.Value.Size) is { } next)
            {
                _waiting.RemoveFirst();
                handOff.Add((first.Value.Waiter, next));
            }
        }
        foreach (var (waiter, next) in handOff)
        {
            if (!waiter.TrySetResult(next))
            {
                Return(next);
            }
        }
    }

    /// <summary>A lent buffer; disposing it gives it back.</summary>
    public sealed class Lease : IDisposable
    {
        private BufferBudget? _owner;

        public Lease(BufferBudget owner, byte[] buffer)
        {
            _owner = owner;
            Buffer = buffer;
        }

        public byte[] Buffer { get; }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Return(Buffer);
    }
}
