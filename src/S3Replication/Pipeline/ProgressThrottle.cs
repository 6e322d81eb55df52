using System;
using System.Diagnostics;

namespace S3Replication.Pipeline;

/// <summary>
/// Lets one progress update through every second, whichever worker asks: many workers finishing items would
/// otherwise flood the pipeline thread with progress records.
/// </summary>
/// <remarks>
/// Once a second, not four times: each update makes the console host ask the terminal for the cursor position,
/// and a Ctrl+C that lands while that answer is on its way leaves the host waiting for it for good (seen on Linux
/// in a pty: the pipeline thread in ProgressPane.Show → Console.CursorLeft, the Ctrl+C thread waiting for the
/// pipeline to stop). The module cannot close that window, only open it less often; no update starts once a stop
/// is signalled (<see cref="AsyncPSCmdlet"/>).
/// </remarks>
internal sealed class ProgressThrottle
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly Stopwatch _sinceLast = Stopwatch.StartNew();

    public bool Due()
    {
        lock (_sinceLast)
        {
            if (_sinceLast.Elapsed < Interval)
            {
                return false;
            }
            _sinceLast.Restart();
            return true;
        }
    }
}
