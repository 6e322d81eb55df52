using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>
/// How many copies a restore keeps in flight, adapted to S3's answers the way TCP adapts its window: it starts small
/// and doubles each round trip (slow start) up to the ceiling (-MaxConcurrency); a throttling answer (503 SlowDown)
/// cuts it (to half on the first, to 70% after), at most once per round trip, since the answers to requests already
/// in flight belong to the same episode; after a cut it grows again by one per round trip. So a run settles just
/// under the rate S3 accepts instead of spending most of its requests on refusals.
/// </summary>
internal sealed class AdaptiveConcurrency
{
    public const int InitialWindow = 8;
    private const double FirstCut = 0.5;
    private const double LaterCut = 0.7;
    private static readonly TimeSpan FirstRoundTrip = TimeSpan.FromMilliseconds(50);

    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource<Lease>> _waiting = new();
    private readonly Func<TimeSpan> _clock;
    private double _window;
    private bool _slowStart = true;
    private int _inFlight;
    private TimeSpan _roundTrip = FirstRoundTrip;
    private TimeSpan _lastCut = TimeSpan.MinValue;

    public AdaptiveConcurrency(int ceiling, Func<TimeSpan>? clock = null)
    {
        if (ceiling < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, "At least one copy must be allowed in flight.");
        }
        Ceiling = ceiling;
        _window = Math.Min(InitialWindow, ceiling);
        Lowest = (int)_window;
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
    }

    public int Ceiling { get; }

    /// <summary>Copies allowed in flight now.</summary>
    public int Limit
    {
        get { lock (_lock) { return (int)_window; } }
    }

    /// <summary>The lowest limit a throttling episode brought it to (the initial window until one did).</summary>
    public int Lowest { get; private set; }

    /// <summary>Throttling episodes that cut the limit.</summary>
    public int Cuts { get; private set; }

    /// <summary>Throttling answers seen, counted or not.</summary>
    public long ThrottlesSeen { get; private set; }

    /// <summary>Raised (outside the lock) when a throttling answer cut the limit: from, to.</summary>
    public event Action<int, int>? Cut;

    /// <summary>A slot now, or null when the limit is reached.</summary>
    public Lease? TryAcquire()
    {
        lock (_lock)
        {
            return _inFlight < (int)_window ? Grant() : null;
        }
    }

    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<Lease> waiter;
        lock (_lock)
        {
            if (_waiting.Count == 0 && _inFlight < (int)_window)
            {
                return Grant();
            }
            waiter = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter);
        }
        using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>A throttling answer arrived (from any request of the run).</summary>
    public void Throttled()
    {
        (int From, int To)? cut = null;
        lock (_lock)
        {
            ThrottlesSeen++;
            var now = _clock();
            if (_lastCut != TimeSpan.MinValue && now - _lastCut < _roundTrip)
            {
                return;
            }
            var from = (int)_window;
            _window = Math.Max(1, _window * (_slowStart ? FirstCut : LaterCut));
            _slowStart = false;
            _lastCut = now;
            Cuts++;
            Lowest = Math.Min(Lowest, (int)_window);
            cut = (from, (int)_window);
        }
        Cut?.Invoke(cut.Value.From, cut.Value.To);
    }

    /// <summary>Under the lock.</summary>
    private Lease Grant()
    {
        _inFlight++;
        return new Lease(this, _clock());
    }

    private void Complete(Lease lease)
    {
        var granted = new List<(TaskCompletionSource<Lease> Waiter, Lease Lease)>();
        lock (_lock)
        {
            _inFlight--;
            var now = _clock();
            var sample = now - lease.Started;
            _roundTrip = TimeSpan.FromTicks((_roundTrip.Ticks * 7 + sample.Ticks) / 8);
            // Only a copy that started after the last cut says the new window is safe to grow from.
            if (lease.Started >= _lastCut)
            {
                _window = Math.Min(Ceiling, _window + (_slowStart ? 1 : 1 / _window));
            }
            while (_inFlight < (int)_window && _waiting.Count > 0)
            {
                var waiter = _waiting.Dequeue();
                if (!waiter.Task.IsCompleted)
                {
                    granted.Add((waiter, Grant()));
                }
            }
        }
        foreach (var (waiter, next) in granted)
        {
            if (!waiter.TrySetResult(next))
            {
                next.Dispose();
            }
        }
    }

    /// <summary>One copy in flight; disposing it says the copy is done.</summary>
    public sealed class Lease : IDisposable
    {
        private AdaptiveConcurrency? _owner;

        public Lease(AdaptiveConcurrency owner, TimeSpan started)
        {
            _owner = owner;
            Started = started;
        }

        public TimeSpan Started { get; }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Complete(this);
    }
}
