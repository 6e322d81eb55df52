using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Core;

/// <summary>
/// How many tasks a command has started and not yet seen end. A command returns only when none of its requests is still
/// running: a stop cancels them, then waits here. A child counts its tasks in its parent as well, so a cmdlet waits for
/// everything the runs it started have started. A count and one signal, not a set of tasks: it is on every item's path.
/// Faults are the owners' to report. Thread-safe.
/// </summary>
internal sealed class InFlight
{
    private readonly InFlight? _parent;
    private readonly object _gate = new();
    private int _running;
    private TaskCompletionSource<bool>? _idle;

    public InFlight(InFlight? parent = null) => _parent = parent;

    /// <summary>Tasks started and not yet ended.</summary>
    public int Count => Volatile.Read(ref _running);

    public T Track<T>(T task) where T : Task
    {
        Started();
        _ = task.ContinueWith(static (_, state) => ((InFlight)state!).Ended(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private void Started()
    {
        Interlocked.Increment(ref _running);
        _parent?.Started();
    }

    private void Ended()
    {
        TaskCompletionSource<bool>? idle = null;
        if (Interlocked.Decrement(ref _running) == 0)
        {
            lock (_gate)
            {
                if (Volatile.Read(ref _running) == 0)
                {
                    (idle, _idle) = (_idle, null);
                }
            }
        }
        idle?.TrySetResult(true);
        _parent?.Ended();
    }

    /// <summary>Completes once every tracked task has ended, including any started meanwhile.</summary>
    public Task WhenAllEndedAsync()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _running) == 0)
            {
                return Task.CompletedTask;
            }
            return (_idle ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
