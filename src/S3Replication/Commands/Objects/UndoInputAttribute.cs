using System;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Lets Undo-S3BackupRestore's -InputObject take the records a restore wrote however they come back: typed SyncResults as
/// they are, rows from Import-Csv (all text) or Import-Clixml (deserialized) read by their property names
/// (<see cref="RestoreRow.Read"/>). Anything else (objects, compare results, undo results) is refused at binding.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class UndoInputAttribute : RowInputAttribute<SyncResult>
{
    private protected override SyncResult Read(Func<string, object?> property)
    {
        var row = RestoreRow.Read(property) ?? throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
            "This is not a restore record: Undo-S3BackupRestore takes the records Sync-S3BackupToSource wrote (Key, Action, BackupBucket, SourceBucket, " +
            "SourceVersionId), piped, or read back with Import-Csv or Import-Clixml.", property("Key"));
        return new SyncResult
        {
            Key = row.Key,
            Action = row.Action?.ToString() ?? "",
            BackupBucket = row.Bucket,
            BackupVersionId = row.VersionId,
            SourceBucket = row.SourceBucket,
            SourceVersionId = row.SourceVersionId,
            Size = row.Size,
        };
    }
}
