using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Transfer;

namespace S3Replication.Commands;

/// <summary>Cmdlets that work through many objects at once (restores, compares, downloads, uploads, status checks): one -MaxConcurrency for all.</summary>
public abstract class ParallelCmdlet : S3BackupCmdlet
{
    /// <summary>
    /// The most requests of the run in flight at once: a ceiling, not a start. A run starts with 8 and doubles each round
    /// trip, and sends fewer while S3 answers SlowDown. 128 measured fastest with the AWS SDK client here (64: 25% slower).
    /// </summary>
    [Parameter]
    [ValidateRange(1, 512)]
    public int MaxConcurrency { get; set; } = 128;

    /// <summary>
    /// Runs the rest of a run's work, then writes the refusals its denial watch still holds (<see cref="ItemRunner.HeldErrors"/>):
    /// also when that work fails, before its error, so no per-object error is lost with it.
    /// </summary>
    private protected async Task WithHeldErrorsAsync(ItemRunner runner, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException and not PipelineStoppedException)
        {
            await WriteErrorsAsync(runner.HeldErrors()).ConfigureAwait(false);
            throw;
        }
        await WriteErrorsAsync(runner.HeldErrors()).ConfigureAwait(false);
    }

    /// <summary>Writes the per-object errors a run lets through (<see cref="ItemRunner.ErrorsToShow"/>), in order.</summary>
    private protected async Task WriteErrorsAsync(IReadOnlyList<S3BackupException> failures)
    {
        foreach (var failure in failures)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        }
    }
}
