using System;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Lets a restore's -InputObject take every row it is entered with: backup objects, compare results and Batch report
/// tasks as they are; restore records (SyncResult) and rows from Import-Csv or Import-Clixml read by their property names
/// (<see cref="PlanSources.Row"/>), so a reviewed plan binds back pinned to its versions.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RestoreInputAttribute : RowInputAttribute<S3ObjectRecord>
{
    private protected override S3ObjectRecord Read(Func<string, object?> property) => PlanSources.Row(property);
}
