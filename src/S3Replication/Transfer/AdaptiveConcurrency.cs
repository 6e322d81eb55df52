using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Session;

namespace S3Replication.Transfer;

/// <summary>
/// How fast a restore sends, adapted to S3's answers. Until S3 first pushes back, only the number of copies in
/// flight is limited: it starts at 8 and doubles each round trip up to the ceiling (-MaxConcurrency). The first
/// throttling answer (503 SlowDown) switches on a client-side rate limit on every request, retries included (the
/// HTTP layer asks <see cref="PaceAsync"/> before each one), as the AWS SDKs' adaptive retry mode does: the send rate
/// is cut to 70% of what was being sent, then grows back along a cubic curve that flattens out near the rate that was
/// throttled and probes above it only slowly, so the run settles just under what S3 accepts instead of spending its
/// requests on refusals. Answers to requests already in flight belong to the same episode: at most one cut per round trip.
/// </summary>
internal sealed class AdaptiveConcurrency : IRequestPacing
{
    public const int InitialWindow = 8;
    private const double Beta = 0.7;
    /// <summary>
    /// Seconds a cut rate takes to climb back to the rate that was throttled, whatever that rate (the SDKs' fixed cubic
    /// constant takes 5 s at 200 requests/s and 14 s at 3,500, the rate a real S3 prefix allows).
    /// </summary>
    private const double RecoverySeconds = 2;
    private const double MinimumRate = 0.5;
    private static readonly TimeSpan FirstRoundTrip = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(100);

    private readonly object _lock = new();
    private readonly Func<TimeSpan> _clock;
    private readonly Queue<TimeSpan> _recentSends = new();
    private TaskCompletionSource<bool> _slotFreed = NewSignal();
    private int _window;
    private int _inFlight;
    private TimeSpan _roundTrip = FirstRoundTrip;
    private TimeSpan _lastCut = TimeSpan.MinValue;

    // The rate limit, once S3 has throttled: tokens at _fillRate per second, cubic growth from _lastCut toward _maxRate.
    private bool _rateLimited;
    private double _fillRate;
    private double _maxRate;
    private double _tokens;
    private TimeSpan _lastRefill;

    public AdaptiveConcurrency(int ceiling, Func<TimeSpan>? clock = null)
    {
        if (ceiling < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, "At least one copy must be allowed in flight.");
        }
        Ceiling = ceiling;
        _window = Math.Min(InitialWindow, ceiling);
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
    }

    public int Ceiling { get; }

    /// <summary>Copies allowed in flight now.</summary>
    public int Limit
    {
        get { lock (_lock) { return _window; } }
    }

    /// <summary>Requests a second allowed now; null while S3 has not throttled.</summary>
    public double? RateLimit
    {
        get { lock (_lock) { return _rateLimited ? _fillRate : null; } }
    }

    /// <summary>The lowest rate a throttling episode cut to (requests a second); null while none did.</summary>
    public double? LowestRate { get; private set; }

    /// <summary>Throttling episodes that cut the rate.</summary>
    public int Cuts { get; private set; }

    /// <summary>Throttling answers seen, counted or not.</summary>
    public long ThrottlesSeen { get; private set; }

    /// <summary>Raised (outside the lock) when a throttling answer cut the rate: from, to (requests a second).</summary>
    public event Action<double, double>? Cut;

    /// <summary>A slot for one more copy now, or null when the window is full.</summary>
    public Lease? TryAcquire()
    {
        lock (_lock)
        {
            return TryGrant();
        }
    }

    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task slotFreed;
            lock (_lock)
            {
                if (TryGrant() is { } lease)
                {
                    return lease;
                }
                slotFreed = _slotFreed.Task;
            }
            var stopped = NewSignal();
            using (cancellationToken.Register(() => stopped.TrySetResult(true)))
            {
                await Task.WhenAny(slotFreed, stopped.Task).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Takes the right to send one request now (zero), or says how long until the rate allows one.</summary>
    public TimeSpan TryPace()
    {
        lock (_lock)
        {
            var now = _clock();
            if (_rateLimited)
            {
                Refill(now);
                if (_tokens < 1)
                {
                    // At least a tick: a wait that rounds to nothing would read as "send now" without a token taken.
                    return TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling((1 - _tokens) / _fillRate * TimeSpan.TicksPerSecond)));
                }
                _tokens--;
            }
            _recentSends.Enqueue(now);
            ForgetSendsBefore(now);
            return TimeSpan.Zero;
        }
    }

    /// <summary>Waits until the rate allows one more request (at once while S3 has not throttled).</summary>
    public async Task PaceAsync(CancellationToken cancellationToken)
    {
        for (var wait = TryPace(); wait > TimeSpan.Zero; wait = TryPace())
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An answer to a paced request: a throttling one cuts the rate, unless the request was sent before the last cut
    /// (it belongs to the episode already answered); any other answer lets the rate grow.
    /// </summary>
    public void Answered(TimeSpan roundTrip, bool throttled)
    {
        lock (_lock)
        {
            var now = _clock();
            _roundTrip = TimeSpan.FromTicks((_roundTrip.Ticks * 7 + roundTrip.Ticks) / 8);
            if (!throttled)
            {
                if (_rateLimited)
                {
                    Grow(now);
                }
                return;
            }
            if (_lastCut != TimeSpan.MinValue && now - roundTrip < _lastCut)
            {
                ThrottlesSeen++;
                return;
            }
        }
        CutFor(sameEpisodeWithinRoundTrip: false);
    }

    /// <summary>A throttling answer arrived whose request's send time is unknown: within a round trip of the last cut, it is that episode's.</summary>
    public void Throttled() => CutFor(sameEpisodeWithinRoundTrip: true);

    private void CutFor(bool sameEpisodeWithinRoundTrip)
    {
        (double From, double To) cut;
        lock (_lock)
        {
            ThrottlesSeen++;
            var now = _clock();
            if (sameEpisodeWithinRoundTrip && _lastCut != TimeSpan.MinValue && now - _lastCut < _roundTrip)
            {
                return;
            }
            var sending = SendRate(now);
            var from = _rateLimited ? Math.Min(sending, _fillRate) : sending;
            _maxRate = Math.Max(from, MinimumRate);
            _fillRate = Math.Max(_maxRate * Beta, MinimumRate);
            if (!_rateLimited)
            {
                // From here on the rate decides; the window only keeps the ceiling.
                _rateLimited = true;
                _window = Ceiling;
                _tokens = 0;
                _lastRefill = now;
            }
            _lastCut = now;
            Cuts++;
            LowestRate = Math.Min(LowestRate ?? double.MaxValue, _fillRate);
            cut = (from, _fillRate);
        }
        Cut?.Invoke(cut.From, cut.To);
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Under the lock.</summary>
    private Lease? TryGrant()
    {
        if (_inFlight >= _window)
        {
            return null;
        }
        _inFlight++;
        return new Lease(this);
    }

    /// <summary>Under the lock. Cubic growth: fast while far below the rate that was throttled, flat near it, probing above it slowly.</summary>
    private void Grow(TimeSpan now)
    {
        Refill(now);
        var sinceCut = (now - _lastCut).TotalSeconds;
        var scale = _maxRate * (1 - Beta) / Math.Pow(RecoverySeconds, 3);
        _fillRate = Math.Max(MinimumRate, Math.Min(_maxRate + scale * Math.Pow(sinceCut - RecoverySeconds, 3), 2 * Math.Max(SendRate(now), _fillRate)));
    }

    /// <summary>Under the lock, while rate-limited.</summary>
    private void Refill(TimeSpan now)
    {
        // A small burst only: after a pause the run must not arrive at S3 all at once.
        var capacity = Math.Max(1, _fillRate / 20);
        _tokens = Math.Min(capacity, _tokens + (now - _lastRefill).TotalSeconds * _fillRate);
        _lastRefill = now;
    }

    /// <summary>Requests sent a second over the last two round trips (at least the last tenth of a second).</summary>
    private double SendRate(TimeSpan now)
    {
        return Math.Max(MinimumRate, ForgetSendsBefore(now) / SendWindow.TotalSeconds);
    }

    private TimeSpan SendWindow => TimeSpan.FromTicks(Math.Max(2 * _roundTrip.Ticks, RateWindow.Ticks));

    /// <summary>Drops sends older than the measuring window (so a long run holds only its last round trips); the count left.</summary>
    private int ForgetSendsBefore(TimeSpan now)
    {
        var window = SendWindow;
        while (_recentSends.Count > 0 && now - _recentSends.Peek() > window)
        {
            _recentSends.Dequeue();
        }
        return _recentSends.Count;
    }

    private void Complete()
    {
        TaskCompletionSource<bool> freed;
        lock (_lock)
        {
            _inFlight--;
            if (!_rateLimited)
            {
                // Slow start: one more per completed copy doubles the window each round trip.
                _window = Math.Min(Ceiling, _window + 1);
            }
            freed = _slotFreed;
            _slotFreed = NewSignal();
        }
        freed.TrySetResult(true);
    }

    /// <summary>One copy in flight; disposing it says the copy is done.</summary>
    public sealed class Lease : IDisposable
    {
        private AdaptiveConcurrency? _owner;

        public Lease(AdaptiveConcurrency owner) => _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Complete();
    }
}
