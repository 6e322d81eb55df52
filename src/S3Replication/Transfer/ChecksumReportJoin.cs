using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using S3Replication.Batch;
using S3Replication.Transfer.Inventory;

namespace S3Replication.Transfer;

/// <summary>
/// Joins one compute-checksum job's completion report to the keys the job was given, whatever encoding the report's
/// keys have, in bounded memory. AWS documents none: this module's manifests percent-encode keys ('a%20b', '+' as %2B),
/// and code written against real compute-checksum reports reads them as form-encoded ('+' for a space, as in S3
/// Inventory reports). So each row is read both ways (<see cref="BatchReport.KeyReadings"/>) and goes into an external
/// sort once under each reading, tagged with its place in the report; the keys are then asked for in
/// <see cref="KeyOrder"/> and met in one pass. A key that exactly one row reads as takes that row's task; a key that two
/// or more rows read as has no task (which row is its own cannot be told: 'a b' and 'a+b' compared together under form
/// encoding, a key compared twice, a task reported twice), and neither has a key whose row names another version than
/// the manifest pinned. No row wins by coming first, so no key is ever decided by another key's checksum.
/// </summary>
/// <remarks>
/// The two readings of one row sort at different places (the row 'a+b' under 'a b' and under 'a+b'): each is a key the row
/// could be, and a key that two rows can be (readings of two rows at one place) is found at the merge, wherever the rows'
/// other readings went. Memory: the sorter's runs (<see cref="ExternalSorter{T}"/>) and, at the merge,
/// the rows of one key (three spellings of them at most).
/// </remarks>
internal sealed class ChecksumReportJoin : IDisposable
{
    /// <summary>
    /// Items held in memory before a sorted run goes to disk: about 0.35 KB a reading, 0.6 KB a planned key (measured),
    /// so some 7 and 12 MB a run.
    /// </summary>
    public const int DefaultRunSize = 20_000;

    private const int SpellingsShown = 3;
    private readonly ExternalSorter<ReportReading> _sorter;
    private readonly string _bucket;
    private readonly string _algorithm;
    private readonly string _report;
    private readonly CancellationToken _cancellationToken;
    private IEnumerator<ReportReading>? _readings;
    private bool _more;
    private string? _askedKey;
    private Match _asked = new();
    private long _rows;

    /// <param name="bucket">The bucket the job read: a row of another bucket is not one of its tasks.</param>
    /// <param name="algorithm">The checksum algorithm the job was asked for.</param>
    /// <param name="report">The report, as messages name it ("the completion report of job …").</param>
    /// <param name="folder">Where the sorted runs go; removed with it.</param>
    /// <param name="runSize">Readings held in memory before a run goes to disk.</param>
    public ChecksumReportJoin(string bucket, string algorithm, string report, TemporaryFolder folder, int runSize = DefaultRunSize,
        CancellationToken cancellationToken = default)
    {
        _bucket = bucket;
        _algorithm = algorithm;
        _report = report;
        _cancellationToken = cancellationToken;
        _sorter = new ExternalSorter<ReportReading>(ReadingOrder.Instance, new ReadingFormat(bucket), runSize, folder);
    }

    /// <summary>The most readings held in memory at once while the rows were added.</summary>
    public int MostHeld => _sorter.MostHeld;

    /// <summary>How many sorted runs went to disk.</summary>
    public int SpilledRuns => _sorter.SpilledRuns;

    /// <summary>The rows that read as one key: how many, the first one's task and version, how they spell it.</summary>
    private sealed class Match
    {
        public int Rows;
        public BatchTaskResult? First;
        public List<string>? Spellings;
    }

    /// <summary>One row of the report, in the report's order: sorted under every key it reads as.</summary>
    public void Add(BatchTaskResult row)
    {
        if (_readings is not null)
        {
            throw new InvalidOperationException("The report's rows were already joined.");
        }
        if (!string.Equals(row.Bucket, _bucket, StringComparison.Ordinal))
        {
            return;
        }
        foreach (var key in BatchReport.KeyReadings(row.ReportKey))
        {
            _sorter.Add(new ReportReading(key, _rows, row));
        }
        _rows++;
    }

    /// <summary>
    /// What the report says of <paramref name="key"/>: the task of the one row that reads as it, or none, saying why —
    /// <paramref name="notReported"/> where no row does. Keys are asked in <see cref="KeyOrder"/> (then ordinal), each
    /// once or several times in a row; the first question ends the rows' adding.
    /// </summary>
    /// <param name="given">How many of the job's manifest rows name the key (more than one: the key was compared more than once).</param>
    /// <param name="pinnedVersion">The version the manifest row named (<see cref="BatchManifest.VersionOf"/>); null where the manifest names none.</param>
    public ChecksumTask TaskFor(string key, int given, string? pinnedVersion, string notReported)
    {
        var match = MatchOf(key);
        if (match.Rows == 0)
        {
            return ChecksumTask.None(notReported);
        }
        if (match.Rows > 1)
        {
            return ChecksumTask.None($"{match.Rows} rows of {_report} read as this key ({string.Join(", ", match.Spellings!.Select(spelling => $"'{spelling}'"))}" +
                $"{(match.Rows > match.Spellings!.Count ? ", ..." : "")}), so which is its own cannot be told" +
                (given > 1 ? $"; the key was compared {given} times (compare one version of a key at a time)" : ""));
        }
        var row = match.First!;
        if (pinnedVersion is not null && !SameVersion(pinnedVersion, row.VersionId))
        {
            return ChecksumTask.None($"its row in {_report} names version {(string.IsNullOrEmpty(row.VersionId) ? "(none)" : row.VersionId)}, " +
                $"not the version compared ({pinnedVersion})");
        }
        return ChecksumTask.From(row, _algorithm);
    }

    /// <summary>The rows that read as <paramref name="key"/>, met by advancing the sorted readings past every smaller key.</summary>
    private Match MatchOf(string key)
    {
        if (_askedKey is not null && string.Equals(_askedKey, key, StringComparison.Ordinal))
        {
            return _asked;
        }
        if (_askedKey is not null && ReadingOrder.Compare(_askedKey, key) > 0)
        {
            throw new InvalidOperationException($"Keys are joined in order: '{key}' came after '{_askedKey}'.");
        }
        if (_readings is null)
        {
            _readings = _sorter.Sorted(_cancellationToken).GetEnumerator();
            _more = _readings.MoveNext();
        }
        while (_more && ReadingOrder.Compare(_readings.Current.Key, key) < 0)
        {
            _more = _readings.MoveNext();
        }
        var match = new Match();
        while (_more && string.Equals(_readings.Current.Key, key, StringComparison.Ordinal))
        {
            var reading = _readings.Current;
            if (++match.Rows == 1)
            {
                match.First = reading.Task;
            }
            if ((match.Spellings ??= new List<string>()).Count < SpellingsShown)
            {
                match.Spellings.Add(reading.Task.ReportKey);
            }
            _more = _readings.MoveNext();
        }
        (_askedKey, _asked) = (key, match);
        return match;
    }

    /// <summary>A null version may be reported as "null" or left empty.</summary>
    private static bool SameVersion(string pinned, string? reported) =>
        string.Equals(pinned, reported, StringComparison.Ordinal) || (pinned == "null" && string.IsNullOrEmpty(reported));

    /// <summary>Closes the sorted runs still open (the merge removes each once read; the folder, whatever is left).</summary>
    public void Dispose() => _readings?.Dispose();
}

/// <summary>One key a report row can stand for (<see cref="BatchReport.KeyReadings"/>), the row's place in the report, and the row.</summary>
internal sealed record ReportReading(string Key, long Row, BatchTaskResult Task);

/// <summary>Readings by key in <see cref="KeyOrder"/> (ordinal between keys it holds equal), then in the report's order.</summary>
internal sealed class ReadingOrder : IComparer<ReportReading>
{
    public static readonly ReadingOrder Instance = new();

    /// <summary>The order keys are joined in: S3's (<see cref="KeyOrder"/>), ordinal where it sees no difference.</summary>
    public static int Compare(string x, string y)
    {
        var order = KeyOrder.Instance.Compare(x, y);
        return order != 0 ? order : string.CompareOrdinal(x, y);
    }

    public int Compare(ReportReading? x, ReportReading? y)
    {
        var order = Compare(x!.Key, y!.Key);
        return order != 0 ? order : x.Row.CompareTo(y.Row);
    }
}

/// <summary>
/// A reading in a sorted run: flags (which optional fields follow), the key, the row's place, the report's key and task
/// status, then the version, HTTP status, error code and result message where present. The bucket is the job's.
/// </summary>
internal sealed class ReadingFormat : IRunFormat<ReportReading>
{
    private const byte HasVersion = 1, HasStatus = 2, HasError = 4, HasMessage = 8;
    private readonly string _bucket;

    public ReadingFormat(string bucket) => _bucket = bucket;

    public void Write(BinaryWriter writer, ReportReading reading)
    {
        var task = reading.Task;
        writer.Write((byte)((task.VersionId is null ? 0 : HasVersion) | (task.HttpStatusCode is null ? 0 : HasStatus) | (task.ErrorCode is null ? 0 : HasError)
            | (task.ResultMessage is null ? 0 : HasMessage)));
        writer.Write(reading.Key);
        writer.Write(reading.Row);
        writer.Write(task.ReportKey);
        writer.Write(task.TaskStatus);
        RecordRun.WriteIf(writer, task.VersionId);
        RecordRun.WriteIf(writer, task.HttpStatusCode);
        RecordRun.WriteIf(writer, task.ErrorCode);
        RecordRun.WriteIf(writer, task.ResultMessage);
    }

    public ReportReading Read(BinaryReader reader)
    {
        var flags = reader.ReadByte();
        var key = reader.ReadString();
        var row = reader.ReadInt64();
        var reportKey = reader.ReadString();
        var status = reader.ReadString();
        return new ReportReading(key, row, new BatchTaskResult(_bucket, reportKey, RecordRun.ReadIf(reader, flags, HasVersion), status,
            RecordRun.ReadIf(reader, flags, HasStatus), RecordRun.ReadIf(reader, flags, HasError), RecordRun.ReadIf(reader, flags, HasMessage)));
    }
}
