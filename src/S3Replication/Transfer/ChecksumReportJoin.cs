using System;
using System.Collections.Generic;
using System.Linq;
using S3Replication.Batch;

namespace S3Replication.Transfer;

/// <summary>
/// Joins one compute-checksum job's completion report to the keys the job was given, whatever encoding the report's
/// keys have. AWS documents none: this module's manifests percent-encode keys ('a%20b', '+' as %2B), and code written
/// against real compute-checksum reports reads them as form-encoded ('+' for a space, as in S3 Inventory reports). So
/// each row is read both ways (<see cref="BatchReport.KeyReadings"/>): a key that exactly one row reads as takes that
/// row's task; a key that two or more rows read as has no task (which row is its own cannot be told: 'a b' and 'a+b'
/// compared together under form encoding, a key compared twice, a task reported twice), and neither has a key whose
/// row names another version than the manifest pinned. No row wins by coming first, so no key is ever decided by
/// another key's checksum. Pure: rows in, one task per key out.
/// </summary>
internal sealed class ChecksumReportJoin
{
    private const int SpellingsShown = 3;
    private readonly Dictionary<string, Match> _matches = new(StringComparer.Ordinal);
    private readonly string _bucket;
    private readonly string _algorithm;
    private readonly string _report;

    /// <param name="bucket">The bucket the job read: a row of another bucket is not one of its tasks.</param>
    /// <param name="keys">The keys the job was given, as compared (one entry per manifest row).</param>
    /// <param name="algorithm">The checksum algorithm the job was asked for.</param>
    /// <param name="report">The report, as messages name it ("the completion report of job …").</param>
    public ChecksumReportJoin(string bucket, IEnumerable<string> keys, string algorithm, string report)
    {
        _bucket = bucket;
        _algorithm = algorithm;
        _report = report;
        foreach (var key in keys)
        {
            if (_matches.TryGetValue(key, out var match))
            {
                match.Given++;
            }
            else
            {
                _matches[key] = new Match();
            }
        }
    }

    /// <summary>The rows that read as one key given to the job: how many, the first one's task and version, how they spell it.</summary>
    private sealed class Match
    {
        public int Given = 1;
        public int Rows;
        public ChecksumTask? Task;
        public string? VersionId;
        public List<string>? Spellings;
    }

    /// <summary>One row of the report: counted for every key given to the job that it reads as.</summary>
    public void Add(BatchTaskResult row)
    {
        if (!string.Equals(row.Bucket, _bucket, StringComparison.Ordinal))
        {
            return;
        }
        foreach (var key in BatchReport.KeyReadings(row.ReportKey))
        {
            if (!_matches.TryGetValue(key, out var match))
            {
                continue;
            }
            if (++match.Rows == 1)
            {
                match.Task = ChecksumTask.From(row, _algorithm);
                match.VersionId = row.VersionId;
            }
            if ((match.Spellings ??= new List<string>()).Count < SpellingsShown)
            {
                match.Spellings.Add(row.ReportKey);
            }
        }
    }

    /// <summary>
    /// What the report says of <paramref name="key"/>: the task of the one row that reads as it, or none, saying why —
    /// <paramref name="notReported"/> where no row does.
    /// </summary>
    /// <param name="pinnedVersion">The version the manifest row named (<see cref="BatchManifest.VersionOf"/>); null where the manifest names none.</param>
    public ChecksumTask TaskFor(string key, string? pinnedVersion, string notReported)
    {
        if (!_matches.TryGetValue(key, out var match) || match.Rows == 0)
        {
            return ChecksumTask.None(notReported);
        }
        if (match.Rows > 1)
        {
            return ChecksumTask.None($"{match.Rows} rows of {_report} read as this key ({string.Join(", ", match.Spellings!.Select(spelling => $"'{spelling}'"))}" +
                $"{(match.Rows > match.Spellings!.Count ? ", ..." : "")}), so which is its own cannot be told" +
                (match.Given > 1 ? $"; the key was compared {match.Given} times (compare one version of a key at a time)" : ""));
        }
        if (pinnedVersion is not null && !SameVersion(pinnedVersion, match.VersionId))
        {
            return ChecksumTask.None($"its row in {_report} names version {(string.IsNullOrEmpty(match.VersionId) ? "(none)" : match.VersionId)}, " +
                $"not the version compared ({pinnedVersion})");
        }
        return match.Task!;
    }

    /// <summary>A null version may be reported as "null" or left empty.</summary>
    private static bool SameVersion(string pinned, string? reported) =>
        string.Equals(pinned, reported, StringComparison.Ordinal) || (pinned == "null" && string.IsNullOrEmpty(reported));
}
