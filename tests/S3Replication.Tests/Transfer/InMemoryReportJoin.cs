using System;
using System.Collections.Generic;
using System.Linq;
using S3Replication.Batch;
using S3Replication.Transfer;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// The join of a report to its keys as the module did it before it was bounded: every key given and every task in a
/// dictionary. Kept as the oracle the bounded <see cref="ChecksumReportJoin"/> is held to (same rows in, same task per
/// key out); not for large reports.
/// </summary>
internal sealed class InMemoryReportJoin
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
    public InMemoryReportJoin(string bucket, IEnumerable<string> keys, string algorithm, string report)
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
