using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Pipeline;

/// <summary>
/// Runs a cmdlet's work asynchronously on worker threads while the pipeline thread performs every write.
/// PowerShell only allows WriteObject/WriteError/WriteProgress/ShouldProcess on the pipeline thread, so workers
/// queue those calls and the pipeline thread drains the queue until the work completes.
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    // Bounded so a fast producer (a listing) waits for the pipeline instead of buffering without limit.
    private const int OutputQueueCapacity = 1024;

    private readonly CancellationTokenSource _stopping = new();
    private BlockingCollection<Action>? _pending;
    private int _pipelineThreadId;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken PipelineStopping => _stopping.Token;

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => RunOnWorkers(BeginProcessingAsync);
    protected sealed override void ProcessRecord() => RunOnWorkers(ProcessRecordAsync);
    protected sealed override void EndProcessing() => RunOnWorkers(EndProcessingAsync);

    protected override void StopProcessing()
    {
        _stopping.Cancel();
        _pending?.CompleteAdding();
    }

    private void RunOnWorkers(Func<CancellationToken, Task> work)
    {
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        // Not disposed: StopProcessing may complete it from another thread at any moment, and it holds nothing
        // that outlives the collection itself.
        var pending = new BlockingCollection<Action>(OutputQueueCapacity);
        _pending = pending;
        Task running;
        try
        {
            running = Task.Run(async () =>
            {
                try { await work(PipelineStopping).ConfigureAwait(false); }
                finally { pending.CompleteAdding(); }
            });
            foreach (var action in pending.GetConsumingEnumerable())
            {
                action();
            }
        }
        finally
        {
            _pending = null;
        }

        try
        {
            running.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (PipelineStopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (S3BackupException failure)
        {
            ThrowTerminatingError(failure.ToErrorRecord());
        }
    }

    private bool OnPipelineThread => Environment.CurrentManagedThreadId == _pipelineThreadId;

    /// <summary>Runs <paramref name="action"/> on the pipeline thread and waits for it.</summary>
    protected Task<T> OnPipeline<T>(Func<T> action)
    {
        var pending = _pending;
        if (pending is null || OnPipelineThread)
        {
            return Task.FromResult(action());
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            pending.Add(() =>
            {
                try { completion.SetResult(action()); }
                catch (Exception error) { completion.SetException(error); }
            }, PipelineStopping);
        }
        catch (Exception error) when (error is InvalidOperationException or OperationCanceledException)
        {
            // The queue closes when the pipeline stops; nothing further may be written.
            completion.SetCanceled();
        }
        return completion.Task;
    }

    protected Task OnPipeline(Action action) => OnPipeline(() => { action(); return true; });

    protected Task WriteObjectAsync(object? value) => OnPipeline(() => WriteObject(value));
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
