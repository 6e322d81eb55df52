using System;
using System.Collections;
using System.Linq;
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
internal sealed class UndoInputAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            null or SyncResult => value,
            SyncResult[] => value,
            IList list when value is not string => list.Cast<object?>().Select(Row).ToArray(),
            _ => Row(inputData),
        };
    }

    private static SyncResult? Row(object? input)
    {
        var value = input is PSObject wrapped ? wrapped.BaseObject : input;
        if (value is null or SyncResult)
        {
            return (SyncResult?)value;
        }
        var record = PSObject.AsPSObject(input);
        RestoreRow? row;
        try
        {
            row = RestoreRow.Read(name => record.Properties[name]?.Value);
        }
        catch (Exception error) when (error is S3BackupException or FormatException or OverflowException)
        {
            throw new ArgumentTransformationMetadataException(error.Message, error);
        }
        if (row is null)
        {
            throw new ArgumentTransformationMetadataException(
                "This is not a restore record: Undo-S3BackupRestore takes the records Sync-S3BackupToSource wrote (Key, Action, BackupBucket, SourceBucket, " +
                "SourceVersionId), piped, or read back with Import-Csv or Import-Clixml.");
        }
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
