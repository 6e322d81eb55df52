using System;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Lets -InputObject take every row a restore is entered with, typed or read back from a file: backup objects, compare
/// results and Batch report tasks as they are; restore records (SyncResult) and rows from Import-Csv or Import-Clixml
/// read by their property names (<see cref="PlanSources.Row"/>), so a reviewed plan binds back pinned to its versions.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RestoreInputAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is null or S3ObjectRecord)
        {
            return value;
        }
        var row = PSObject.AsPSObject(inputData);
        try
        {
            return PlanSources.Row(name => row.Properties[name]?.Value);
        }
        catch (Exception error) when (error is S3BackupException or FormatException or OverflowException)
        {
            throw new ArgumentTransformationMetadataException(error.Message, error);
        }
    }
}
