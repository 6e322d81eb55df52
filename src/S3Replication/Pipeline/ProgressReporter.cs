using System;
using System.Globalization;
using System.Management.Automation;
using S3Replication.Transfer;

namespace S3Replication.Pipeline;

/// <summary>
/// A cmdlet's progress bar over its <see cref="Tally"/>: at most one update a second, with the share done and the
/// time left once the listing has told how many items there are, then one "completed" record.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly ProgressThrottle _throttle = new();
    private readonly string _activity;

    public ProgressReporter(string activity, Tally tally)
    {
        _activity = activity;
        Tally = tally;
    }

    public Tally Tally { get; }

    /// <summary>A progress record if one is due, else null.</summary>
    public ProgressRecord? Due() => _throttle.Due() ? Current() : null;

    public ProgressRecord Current()
    {
        var status = Tally.Expected is { } expected
            ? string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} {2}: {3}", Tally.Total, expected, Tally.Unit, Tally.Summary())
            : Tally.Summary();
        var record = new ProgressRecord(0, _activity, status);
        if (Tally.PercentComplete is { } percent)
        {
            record.PercentComplete = percent;
        }
        if (Tally.Remaining is { } remaining)
        {
            record.SecondsRemaining = (int)Math.Min(int.MaxValue, Math.Ceiling(remaining.TotalSeconds));
        }
        return record;
    }

    public ProgressRecord Completed() => new(0, _activity, "Done") { RecordType = ProgressRecordType.Completed };
}
