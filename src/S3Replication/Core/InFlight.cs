using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;

namespace S3Replication.Core;

/// <summary>
/// The tasks a command has started and not yet seen end. A command returns only when none of its requests is still
/// running: a stop cancels them, then waits here. A child reports its tasks to its parent as well, so a cmdlet waits
/// for everything the runs it started have started. Thread-safe.
/// </summary>
internal sealed class InFlight
{
    private readonly InFlight? _parent;
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();

    public InFlight(InFlight? parent = null) => _parent = parent;

    /// <summary>Tasks started and not yet ended.</summary>
    public int Count => _tasks.Keys.Count(task => !task.IsCompleted);

    public T Track<T>(T task) where T : Task
    {
        _tasks[task] = 0;
        _parent?.Track(task);
        _ = task.ContinueWith(ended => _tasks.TryRemove(ended, out _), TaskScheduler.Default);
        return task;
    }

    /// <summary>Completes once every tracked task has ended, including any started meanwhile. Faults are the owners' to report.</summary>
    public async Task WhenAllEndedAsync()
    {
        while (_tasks.Keys.Where(task => !task.IsCompleted).ToArray() is { Length: > 0 } running)
        {
            await Task.WhenAll(running.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
    }
}
