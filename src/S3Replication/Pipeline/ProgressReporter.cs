using System.Management.Automation;
using S3Replication.Transfer;

namespace S3Replication.Pipeline;

/// <summary>A cmdlet's progress bar over its <see cref="Tally"/>: at most four updates a second, then one "completed" record.</summary>
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
    public ProgressRecord? Due() => _throttle.Due() ? new ProgressRecord(0, _activity, Tally.Summary()) : null;

    public ProgressRecord Completed() => new(0, _activity, "Done") { RecordType = ProgressRecordType.Completed };
}
