using System;
using System.Diagnostics;

namespace S3Replication.Pipeline;

/// <summary>
/// Lets one progress update through every quarter second, whichever worker asks: many workers finishing items
/// would otherwise flood the pipeline thread with progress records.
/// </summary>
internal sealed class ProgressThrottle
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
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
