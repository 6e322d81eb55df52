using System;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>A restore's typed outcome as the record a user sees, exports and pipes back: the one place its enums become text.</summary>
internal static class SyncResults
{
    public static SyncResult Of(RestoreOutcome outcome, DateTime? asOf) => new()
    {
        Key = outcome.Key,
        Action = outcome.Action.ToString(),
        Reason = outcome.Reason?.ToString(),
        BackupBucket = outcome.BackupBucket,
        BackupVersionId = outcome.BackupVersionId,
        SourceBucket = outcome.SourceBucket,
        SourceVersionId = outcome.SourceVersionId,
        Size = outcome.Size,
        Bytes = outcome.Bytes,
        Time = outcome.Time,
        AsOf = asOf,
        Seconds = Math.Round(outcome.Duration.TotalSeconds, 3),
        Error = outcome.Failure?.Message,
    };
}
