using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>The sink of a compare: each decided key goes out as it is (a CompareResult, once the cmdlet writes it), counted by state.</summary>
internal sealed class CompareSink : IRestoreSink
{
    private readonly Func<Decided, PlanState, Task> _write;

    public CompareSink(Func<Decided, PlanState, Task> write) => _write = write;

    public Dictionary<PlanState, long> Counts { get; } = new();

    public Task TakeAsync(Decided item, CancellationToken cancellationToken)
    {
        var state = item.Decision.StateOf(item.Candidate);
        Counts[state] = Counts.TryGetValue(state, out var count) ? count + 1 : 1;
        return _write(item, state);
    }

    public Task FinishAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
