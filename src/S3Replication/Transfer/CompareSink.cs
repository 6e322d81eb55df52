using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>
/// The sink of a compare: each decided key goes out as it is (a CompareResult, once the cmdlet writes it), counted by
/// state; with -CompareBy ComputedChecksum a key both buckets hold with the same size goes to the
/// <see cref="ChecksumVerification"/> instead, and is counted once its checksums have decided it.
/// </summary>
internal sealed class CompareSink : IRestoreSink
{
    private readonly Func<Decided, PlanState, Task> _write;
    private readonly ChecksumVerification? _verification;

    public CompareSink(Func<Decided, PlanState, Task> write, ChecksumVerification? verification = null)
    {
        _write = write;
        _verification = verification;
    }

    public Dictionary<PlanState, long> Counts { get; } = new();

    public Task TakeAsync(Decided item, CancellationToken cancellationToken)
    {
        if (_verification is not null && item.Failure is null && item.Decision.Verdict == Verdict.Verify)
        {
            return _verification.AddAsync(item, cancellationToken);
        }
        var state = item.Decision.StateOf(item.Candidate);
        Count(state);
        return _write(item, state);
    }

    /// <summary>One more key in <paramref name="state"/>.</summary>
    public void Count(PlanState state) => Counts[state] = Counts.TryGetValue(state, out var count) ? count + 1 : 1;

    public Task FinishAsync(CancellationToken cancellationToken)
    {
        _verification?.Close();
        return Task.CompletedTask;
    }
}
