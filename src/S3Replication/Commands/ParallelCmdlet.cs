using System.Collections.Generic;
using System.Management.Automation;
using System.Threading.Tasks;
using S3Replication.Core;

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

    /// <summary>Writes the per-object errors a run lets through (<see cref="Transfer.ItemRunner.ErrorsToShow"/>), in order.</summary>
    private protected async Task WriteErrorsAsync(IReadOnlyList<S3BackupException> failures)
    {
        foreach (var failure in failures)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        }
    }
}
