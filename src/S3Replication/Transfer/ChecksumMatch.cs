using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using S3Replication.Batch;

namespace S3Replication.Transfer;

/// <summary>
/// What one side's compute-checksum job said of a key: the checksum it computed, or why there is none — its task failed
/// (<see cref="ErrorCode"/>), its ResultMessage could not be read, or its report has no task that is surely the key's.
/// </summary>
internal sealed record ChecksumTask(ComputedChecksum? Checksum, string? Problem, string? ErrorCode = null)
{
    /// <summary>A task of the completion report, read with the algorithm the job was asked for.</summary>
    public static ChecksumTask From(BatchTaskResult row, string algorithm)
    {
        if (row.TaskStatus != "succeeded")
        {
            var code = row.ErrorCode ?? row.HttpStatusCode ?? "an unnamed error";
            return new(null, $"task failed: {string.Join(" ", new[] { row.HttpStatusCode, row.ErrorCode }.Where(part => part is not null))}" +
                (string.IsNullOrEmpty(row.ResultMessage) ? "" : $" ({row.ResultMessage})"), code);
        }
        return ComputedChecksumMessage.Parse(row.ResultMessage, algorithm, out var problem) is { } checksum ? new(checksum, null) : new(null, problem);
    }

    /// <summary>
    /// No task of the job's report can be taken for the key: <paramref name="why"/> says why (the report does not list it,
    /// which job and how it ended; two rows read as it; its row read another version).
    /// </summary>
    public static ChecksumTask None(string why) => new(null, why);
}

/// <summary>What the computed checksums of both sides say of one key: its compare state and reason, and why it is unverified.</summary>
internal sealed record ChecksumVerdict(PlanState State, SyncReason Reason, string? Error = null);

/// <summary>The key-by-key decision of -CompareBy ComputedChecksum, for one key both buckets hold with the same size. Pure.</summary>
internal static class ChecksumMatch
{
    /// <summary>
    /// Equal (SameChecksum) where both sides' checksums are the same, Different (ChecksumDiffers) where they differ;
    /// Unverified (TaskFailed) where either side has none, with what each side lacked — never Equal on one side's word.
    /// </summary>
    public static ChecksumVerdict Decide(ChecksumTask source, ChecksumTask backup)
    {
        if (source.Checksum is { } ours && backup.Checksum is { } theirs)
        {
            return ours.SameAs(theirs) ? new(PlanState.Equal, SyncReason.SameChecksum) : new(PlanState.Different, SyncReason.ChecksumDiffers);
        }
        var problems = new[] { ("source", source), ("backup", backup) }.Where(side => side.Item2.Checksum is null).Select(side => $"{side.Item1}: {side.Item2.Problem}");
        return new(PlanState.Unverified, SyncReason.TaskFailed, string.Join("; ", problems));
    }
}

/// <summary>Which bucket a compute-checksum job reads.</summary>
internal enum VerifiedSide
{
    Source,
    Backup,
}

/// <summary>
/// The failed tasks of one side's compute-checksum job, counted by error code with the first keys, and the one warning
/// that says what to fix: where a task was denied, the permissions the job's role needs on that bucket (and for the backup,
/// read across accounts, the bucket policy that must grant them).
/// </summary>
internal sealed class TaskFailures
{
    private const int KeysShown = 3;
    private readonly Dictionary<string, long> _codes = new(StringComparer.Ordinal);
    private readonly List<string> _keys = new();

    public TaskFailures(VerifiedSide side, string bucket)
    {
        Side = side;
        Bucket = bucket;
    }

    public VerifiedSide Side { get; }
    public string Bucket { get; }
    public long Count { get; private set; }

    /// <summary>Counts the key where its task failed; other tasks (succeeded, unreadable, missing) are not this side's failures.</summary>
    public void Add(string key, ChecksumTask task)
    {
        if (task.ErrorCode is not { } code)
        {
            return;
        }
        Count++;
        _codes[code] = _codes.TryGetValue(code, out var count) ? count + 1 : 1;
        if (_keys.Count < KeysShown)
        {
            _keys.Add(key);
        }
    }

    /// <summary>The warning for these failures, or null where none failed.</summary>
    public string? Warning(string roleArn)
    {
        if (Count == 0)
        {
            return null;
        }
        var codes = string.Join(", ", _codes.OrderByDescending(entry => entry.Value).ThenBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}", entry.Value, entry.Key)));
        var text = string.Format(CultureInfo.InvariantCulture, "{0:N0} checksum task(s) on s3://{1} failed ({2}; {3}{4}): those keys are Unverified.",
            Count, Bucket, codes, string.Join(", ", _keys), Count > _keys.Count ? ", ..." : "");
        if (!_codes.Keys.Any(code => code is "AccessDenied" or "403" or "Forbidden"))
        {
            return text;
        }
        return text + (Side == VerifiedSide.Source
            ? $" The job's role {roleArn} needs s3:GetObject and s3:GetObjectVersion on arn:aws:s3:::{Bucket}/* (and kms:Decrypt for objects under SSE-KMS)."
            : $" The job's role {roleArn} reads the backup bucket from the source's account: it needs s3:GetObject and s3:GetObjectVersion on " +
              $"arn:aws:s3:::{Bucket}/* (and kms:Decrypt for objects under SSE-KMS), and the backup bucket's policy must grant them to that role.");
    }
}
