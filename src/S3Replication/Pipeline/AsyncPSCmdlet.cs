using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Pipeline;

/// <summary>
/// Runs a cmdlet's work asynchronously on worker threads while the pipeline thread performs every write.
/// PowerShell only allows WriteObject/WriteError/WriteProgress/ShouldProcess on the pipeline thread, so workers
/// queue those calls and the pipeline thread drains the queue. The queue lives as long as the cmdlet: workers
/// started in one phase (a pool fed by ProcessRecord) keep writing, and their writes are drained by whichever
/// phase runs next, EndProcessing at the latest.
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    // Bounded so a fast producer (a listing) waits for the pipeline instead of buffering without limit.
    private const int OutputQueueCapacity = 1024;

    private readonly CancellationTokenSource _stopping = new();
    private readonly BlockingCollection<Action> _pending = new(OutputQueueCapacity);
    private int _pipelineThreadId;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken PipelineStopping => _stopping.Token;

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => RunPhase(BeginProcessingAsync);
    protected sealed override void ProcessRecord() => RunPhase(ProcessRecordAsync);
    protected sealed override void EndProcessing() => RunPhase(EndProcessingAsync);

    protected override void StopProcessing()
    {
        _stopping.Cancel();
        _pending.CompleteAdding();
    }

    private void RunPhase(Func<CancellationToken, Task> work)
    {
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        // Queued after the phase's work completes; everything the work queued before it is drained first. It captures
        // a fresh object so each phase has its own delegate (a non-capturing lambda would be one cached instance).
        var phase = new object();
        Action endOfPhase = () => GC.KeepAlive(phase);
        var running = Task.Run(() => work(PipelineStopping));
        running.ContinueWith(_ => TryQueue(endOfPhase), TaskScheduler.Default);

        foreach (var action in _pending.GetConsumingEnumerable())
        {
            if (ReferenceEquals(action, endOfPhase))
            {
                break;
            }
            action();
        }

        if (PipelineStopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        try
        {
            running.GetAwaiter().GetResult();
        }
        catch (S3BackupException failure)
        {
            ThrowTerminatingError(failure.ToErrorRecord());
        }
    }

    private bool TryQueue(Action action)
    {
        try
        {
            _pending.Add(action, PipelineStopping);
            return true;
        }
        catch (Exception error) when (error is InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            // The queue closes when the pipeline stops; nothing further may be written.
            return false;
        }
    }

    private bool OnPipelineThread => Environment.CurrentManagedThreadId == _pipelineThreadId;

    /// <summary>Runs <paramref name="action"/> on the pipeline thread and waits for it (back-pressure for workers).</summary>
    protected Task<T> OnPipeline<T>(Func<T> action)
    {
        if (OnPipelineThread)
        {
            return Task.FromResult(action());
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = TryQueue(() =>
        {
            try { completion.SetResult(action()); }
            catch (Exception error) { completion.SetException(error); }
        });
        if (!queued)
        {
            completion.TrySetCanceled();
        }
        return completion.Task;
    }

    protected Task OnPipeline(Action action) => OnPipeline(() => { action(); return true; });

    protected Task WriteObjectAsync(object? value) => OnPipeline(() => WriteObject(value));

    /// <summary>
    /// Writes without waiting for the pipeline thread to take it: for high-volume results from workers, whose slot
    /// is then free at once. Order is kept, and the bounded queue still holds a worker back when the pipeline lags.
    /// </summary>
    protected void QueueWriteObject(object? value)
    {
        if (OnPipelineThread)
        {
            WriteObject(value);
        }
        else
        {
            TryQueue(() => WriteObject(value));
        }
    }
    protected Task WriteErrorAsync(ErrorRecord error) => OnPipeline(() => WriteError(error));
    protected Task WriteVerboseAsync(string message) => OnPipeline(() => WriteVerbose(message));
    protected Task WriteWarningAsync(string message) => OnPipeline(() => WriteWarning(message));
    protected Task WriteProgressAsync(ProgressRecord progress) => OnPipeline(() => WriteProgress(progress));
    protected Task<bool> ShouldProcessAsync(string target, string action) => OnPipeline(() => ShouldProcess(target, action));
    protected Task<bool> ShouldProcessAsync(string description, string warning, string caption) =>
        OnPipeline(() => ShouldProcess(description, warning, caption));

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
