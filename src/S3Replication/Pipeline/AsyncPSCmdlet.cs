using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;

namespace S3Replication.Pipeline;

/// <summary>
/// Runs a cmdlet's work asynchronously on worker threads while the pipeline thread performs every write.
/// PowerShell only allows WriteObject/WriteError/WriteProgress/ShouldProcess on the pipeline thread, so workers
/// queue those calls and the pipeline thread drains the queue. The queue lives as long as the cmdlet: workers
/// started in one phase (a pool fed by ProcessRecord) keep writing, and their writes are drained by whichever
/// phase runs next, EndProcessing at the latest.
/// </summary>
/// <remarks>
/// A command returns only when its own requests are done: every task it starts (each phase's work, and through
/// <see cref="Work"/> every item its runs start) is tracked, and a stop — Ctrl+C (<see cref="StopProcessing"/>), or a
/// downstream command that needs no more (Select-Object -First, which stops the pipeline from inside a write) — cancels
/// them and waits until none is running before the cmdlet gives the pipeline back; only then does it tell what was done.
/// There is one write path: every Write…Async queues its call and completes as soon as the queue has room (order
/// kept; a worker waits only when the pipeline lags by <see cref="OutputQueueCapacity"/> writes). Calls that need the
/// pipeline thread's answer (ShouldProcess, a prompt) complete with that answer.
/// </remarks>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    private const int OutputQueueCapacity = 1024;

    private readonly CancellationTokenSource _stopping = new();
    private readonly PipelineQueue<Action> _pending = new();
    private readonly SemaphoreSlim _room = new(OutputQueueCapacity, OutputQueueCapacity);
    private int _pipelineThreadId;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken PipelineStopping => _stopping.Token;

    /// <summary>Everything this invocation has started and not seen end; a stop waits for all of it.</summary>
    private protected InFlight Work { get; } = new();

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ambient state the workers of this invocation carry (its prompt); disposed when the phase's work ends.</summary>
    private protected virtual IDisposable? EnterInvocation() => null;

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
        var running = Work.Track(Task.Run(async () =>
        {
            using (EnterInvocation())
            {
                await work(PipelineStopping).ConfigureAwait(false);
            }
        }));
        running.ContinueWith(_ => TryAdd(endOfPhase, urgent: true), TaskScheduler.Default);

        try
        {
            foreach (var action in _pending.GetConsumingEnumerable())
            {
                if (ReferenceEquals(action, endOfPhase))
                {
                    break;
                }
                action();
            }
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C refused a write under way, or a downstream command (Select-Object -First) has all it wants and stops
            // the pipeline from inside our write: either way nothing of ours may go on running.
            StopAndWait();
            throw;
        }
        catch (Exception)
        {
            // A write that failed on the pipeline thread ends the command: its work must not outlive it.
            StopAndWait(tell: false);
            throw;
        }

        if (PipelineStopping.IsCancellationRequested)
        {
            StopAndWait();
            throw new PipelineStoppedException();
        }
        try
        {
            running.GetAwaiter().GetResult();
        }
        catch (S3BackupException failure)
        {
            StopAndWait(tell: false);
            ThrowTerminatingError(failure.ToErrorRecord());
        }
        catch (OperationCanceledException) when (PipelineStopping.IsCancellationRequested)
        {
            StopAndWait();
            throw new PipelineStoppedException();
        }
        catch (Exception)
        {
            StopAndWait(tell: false);
            throw;
        }
    }

    /// <summary>
    /// Stops everything this invocation started and waits, on the pipeline thread, until none of it is running (the
    /// requests are cancelled, so that is soon); then says what was done, which is now exactly what was done.
    /// </summary>
    private void StopAndWait(bool tell = true)
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }
        _pending.CompleteAdding();
        Work.WhenAllEndedAsync().GetAwaiter().GetResult();
        if (tell)
        {
            TellWhatWasDone();
        }
    }

    /// <summary>What the run had done when it was stopped (Ctrl+C), or null when there is nothing to tell.</summary>
    private protected virtual string? DescribeStop() => null;

    /// <summary>
    /// Once stopped, the cmdlet's streams take no more writes, so what was done goes straight to the host, once, on the
    /// pipeline thread. It is a single line; no progress is drawn (see <see cref="WriteProgressAsync"/>).
    /// </summary>
    private void TellWhatWasDone()
    {
        if (_toldWhatWasDone || DescribeStop() is not { } done)
        {
            return;
        }
        _toldWhatWasDone = true;
        try
        {
            Host?.UI?.WriteWarningLine(done);
        }
        catch (Exception error) when (error is System.IO.IOException or InvalidOperationException or NotImplementedException or PSNotImplementedException)
        {
            // A host without a console (or one already closing) cannot show it; the objects' state is what it is.
        }
    }

    private bool _toldWhatWasDone;

    /// <summary>
    /// Queues <paramref name="action"/> (<paramref name="urgent"/>: someone waits for it to be performed); false once the
    /// queue has closed, as it does when the pipeline stops: nothing further may be written.
    /// </summary>
    private bool TryAdd(Action action, bool urgent = false) => _pending.TryAdd(action, urgent);

    /// <summary>Queues <paramref name="action"/> for the pipeline thread once there is room; false once the pipeline has stopped.</summary>
    private async Task<bool> EnqueueAsync(Action action, bool urgent = false)
    {
        try
        {
            await _room.WaitAsync(PipelineStopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return TryAdd(() =>
        {
            _room.Release();
            action();
        }, urgent);
    }

    private bool OnPipelineThread => Environment.CurrentManagedThreadId == _pipelineThreadId;

    /// <summary>Runs <paramref name="action"/> on the pipeline thread and completes with its result.</summary>
    protected async Task<T> OnPipeline<T>(Func<T> action)
    {
        if (OnPipelineThread)
        {
            return action();
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A stop drops whatever is still queued: the answer will never come, so the worker is told at once.
        using var stopped = PipelineStopping.Register(() => completion.TrySetCanceled());
        var queued = await EnqueueAsync(() =>
        {
            try { completion.SetResult(action()); }
            catch (Exception error) { completion.SetException(error); }
        }, urgent: true).ConfigureAwait(false);
        if (!queued)
        {
            completion.TrySetCanceled();
        }
        return await completion.Task.ConfigureAwait(false);
    }

    /// <summary>The one write path: performed on the pipeline thread, in order; completes once queued.</summary>
    private Task WriteAsync(Action write)
    {
        if (OnPipelineThread)
        {
            write();
            return Task.CompletedTask;
        }
        return EnqueueAsync(write);
    }

    protected Task WriteObjectAsync(object? value) => WriteAsync(() => WriteObject(value));
    protected Task WriteErrorAsync(ErrorRecord error) => WriteAsync(() => WriteError(error));
    protected Task WriteVerboseAsync(string message) => WriteAsync(() => WriteVerbose(message));
    protected Task WriteWarningAsync(string message) => WriteAsync(() => WriteWarning(message));
    /// <summary>
    /// A line for the person running the command, shown like Write-Host (tagged PSHOST) yet in the information stream,
    /// so scripts can capture it (6&gt;, -InformationVariable) or silence it (-InformationAction SilentlyContinue).
    /// </summary>
    protected Task WriteInformationAsync(string message, string tag) =>
        WriteAsync(() => WriteInformation(new HostInformationMessage { Message = message }, QuietRequested() ? new[] { tag } : new[] { "PSHOST", tag }));

    /// <summary>
    /// -InformationAction SilentlyContinue (or Ignore) keeps the line off the console, as it does for Write-Host; a
    /// PSHOST-tagged record would be shown regardless.
    /// </summary>
    private bool QuietRequested() =>
        MyInvocation.BoundParameters.TryGetValue("InformationAction", out var action)
        && LanguagePrimitives.TryConvertTo<ActionPreference>(action, out var preference)
        && preference is ActionPreference.SilentlyContinue or ActionPreference.Ignore;

    /// <summary>
    /// Progress is dropped, not queued, once the pipeline is stopping: a progress bar drawn while the host handles
    /// Ctrl+C can leave the terminal waiting for an answer that never comes.
    /// </summary>
    protected Task WriteProgressAsync(ProgressRecord progress) =>
        PipelineStopping.IsCancellationRequested ? Task.CompletedTask : WriteAsync(() =>
        {
            if (!PipelineStopping.IsCancellationRequested)
            {
                WriteProgress(progress);
            }
        });

    protected Task<bool> ShouldProcessAsync(string target, string action) => OnPipeline(() => ShouldProcess(target, action));
    protected Task<bool> ShouldProcessAsync(string description, string warning, string caption) =>
        OnPipeline(() => ShouldProcess(description, warning, caption));

    /// <summary>
    /// What the command holds beyond its work (temporary files): released once none of its work is running, however it
    /// ended — also where a stop or a terminating error skipped the phase that would have released it. Called at least
    /// once; must bear being called again.
    /// </summary>
    private protected virtual void Release()
    {
    }

    /// <summary>
    /// PowerShell disposes every command of a pipeline before the pipeline returns, also when it was stopped while this
    /// command was not in one of its phases (Ctrl+C while the command before it produced input): work still running
    /// from earlier phases is stopped and waited for here.
    /// </summary>
    public void Dispose()
    {
        if (Work.Count > 0)
        {
            StopAndWait(tell: _stopping.IsCancellationRequested);
        }
        Release();
        _stopping.Dispose();
        _room.Dispose();
        GC.SuppressFinalize(this);
    }
}
