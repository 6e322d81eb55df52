using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Session;

namespace S3Replication.Transfer;

/// <summary>
/// The one loop every long run of items goes through (restores, downloads and uploads, replication status): at most
/// as many items at once as its <see cref="AdaptiveConcurrency"/> allows, each item's requests paced by it and retried
/// by one policy, every outcome counted in one <see cref="Tally"/>, and one way to stop. A stop (Ctrl+C, a downstream
/// Select-Object -First, or the first items all denied the same permission) starts nothing new at once; what is in
/// flight may finish for <see cref="Grace"/> — so it is counted, and what the run says it did is what it did — and is
/// cancelled after that (<see cref="CutShort"/> says how many were). <see cref="CompleteAsync"/> returns only when no
/// item of the run is still running.
/// </summary>
internal sealed class ItemRunner : IDisposable
{
    /// <summary>How long items in flight may finish after a stop before their requests are cancelled.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _inFlightStop = new();
    private readonly CancellationTokenRegistration _graceAfterStop;
    private readonly InFlight _inFlight;
    private readonly RepeatedDenial _denials = new();
    private readonly ConcurrentQueue<Exception> _faults = new();
    private readonly Action<string> _note;
    private long _started;
    private long _cutShort;

    /// <param name="note">Where a retry or a slow-down is told (the verbose stream); called from workers.</param>
    public ItemRunner(int maxConcurrency, Tally tally, Action<string> note, InFlight? owner, CancellationToken cancellationToken)
    {
        Concurrency = new AdaptiveConcurrency(maxConcurrency);
        Tally = tally;
        _note = note;
        _inFlight = new InFlight(owner);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _graceAfterStop = _stop.Token.Register(() => _inFlightStop.CancelAfter(Grace));
        Concurrency.Cut += (from, to) => note(string.Format(CultureInfo.InvariantCulture,
            "S3 asked to slow down: sending at most {0:N0} requests/s now (was {1:N0}).", to, from));
    }

    public AdaptiveConcurrency Concurrency { get; }

    /// <summary>Everything the run has started: its items and the fetches of its plan.</summary>
    public InFlight InFlight => _inFlight;

    public Tally Tally { get; }

    /// <summary>Cancelled when the run is stopped: the plan (listings, HEADs) and the start of every item take it.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Items cancelled in flight when <see cref="Grace"/> ran out after a stop: whether their last request landed is unknown.</summary>
    public long CutShort => Interlocked.Read(ref _cutShort);

    /// <summary>Items started so far (the progress total while input still arrives).</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>
    /// Set when the first items were all denied the same permission: the run starts no further item and ends with this
    /// one error (<see cref="RepeatedDenial"/>).
    /// </summary>
    public S3BackupException? StopError => _denials.StopError;

    /// <summary>Whether the run takes no more items (stopped, or ended by <see cref="StopError"/>).</summary>
    public bool Stopped => StopError is not null || Token.IsCancellationRequested;

    /// <summary>Paces the requests of the calling flow by this run's rate, until disposed (listings, HEADs of a plan).</summary>
    public IDisposable Pace() => RequestPacer.Lease(Concurrency);

    /// <summary>The run's retry policy for the requests of one item, telling each retry and hearing throttling.</summary>
    public RetryPolicy RetryFor(string what) => RetryFor(() => what);

    /// <summary>
    /// The same, naming the item only when a retry is told: on the path of every item, where retries are rare, the name is
    /// not made for nothing.
    /// </summary>
    public RetryPolicy RetryFor(Func<string> what) => RetryPolicies.S3 with
    {
        OnRetry = retry =>
        {
            // Throttling that outlasted the SDK's own retries; requests paced by this run were heard when answered.
            if (retry.Kind == FailureKind.Throttled)
            {
                Concurrency.Throttled();
            }
            _note(retry.Describe(what()));
        },
    };

    /// <summary>
    /// Starts one item once a slot is free and returns; false (and nothing started) once the run has stopped. An
    /// exception the item lets escape, other than the run's own cancellation, is a bug: <see cref="CompleteAsync"/> rethrows it.
    /// </summary>
    public async Task<bool> StartAsync(Func<CancellationToken, Task> item)
    {
        if (Stopped)
        {
            return false;
        }
        AdaptiveConcurrency.Lease slot;
        try
        {
            slot = await Concurrency.AcquireAsync(Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            return false;
        }
        if (StopError is not null)
        {
            slot.Dispose();
            return false;
        }
        Interlocked.Increment(ref _started);
        _ = _inFlight.Track(Task.Run(async () =>
        {
            using (slot)
            using (Pace())
            {
                try
                {
                    await item(_inFlightStop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_inFlightStop.IsCancellationRequested)
                {
                    // Cut short after the grace: the item ends without an outcome, and the run says so.
                    Interlocked.Increment(ref _cutShort);
                }
                catch (Exception bug)
                {
                    _faults.Enqueue(bug);
                    _stop.Cancel();
                }
            }
        }, CancellationToken.None));
        return true;
    }

    /// <summary>Counts one finished item; a copy or transfer (done or failed) also tells the denial watch.</summary>
    public void Record(ItemOutcome outcome, long bytes = 0, S3BackupException? failure = null)
    {
        Tally.Add(outcome, bytes);
        if (outcome is ItemOutcome.Done or ItemOutcome.Failed)
        {
            _denials.Observe(failure);
        }
    }

    /// <summary>
    /// The per-object errors to write for one recorded outcome (its failure, or null): the first refusals are held until it is
    /// clear whether the run stops for them (<see cref="RepeatedDenial.ErrorsToShow"/>).
    /// </summary>
    public IReadOnlyList<S3BackupException> ErrorsToShow(S3BackupException? failure) => _denials.ErrorsToShow(failure);

    /// <summary>Once the run has ended: the refusals still held (too few items to settle whether the run should stop).</summary>
    public IReadOnlyList<S3BackupException> HeldErrors() => _denials.HeldAtEnd();

    /// <summary>Waits until no item of the run is running; rethrows an item's unexpected failure.</summary>
    public async Task CompleteAsync()
    {
        await _inFlight.WhenAllEndedAsync().ConfigureAwait(false);
        if (_faults.TryDequeue(out var bug))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(bug).Throw();
        }
    }

    /// <summary>Starts nothing new; what is in flight has <see cref="Grace"/> to finish. <see cref="CompleteAsync"/> then waits for it to end.</summary>
    public void Cancel() => _stop.Cancel();

    /// <summary>What a stopped run adds to its summary: the items cut short, when there were any.</summary>
    public string StopNote() => CutShort == 0 ? ""
        : string.Format(CultureInfo.InvariantCulture, "; {0:N0} still in flight {1:N0} s after the stop were cancelled and may or may not have landed",
            CutShort, Grace.TotalSeconds);

    /// <summary>How often S3 pushed back and how far the rate was cut, or null when it never did.</summary>
    public string? SlowDownSummary() => Concurrency.Cuts == 0 ? null
        : string.Format(CultureInfo.InvariantCulture,
            "S3 asked to slow down {0} time(s); the run cut its rate {1} time(s), to {2:N0} requests/s at the lowest, and ended at {3:N0} requests/s.",
            Concurrency.ThrottlesSeen, Concurrency.Cuts, Concurrency.LowestRate, Concurrency.RateLimit);

    public void Dispose()
    {
        _graceAfterStop.Dispose();
        _stop.Dispose();
        _inFlightStop.Dispose();
    }
}
