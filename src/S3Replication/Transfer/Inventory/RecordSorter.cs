using System.Collections.Generic;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// The sorter of an inventory listing: <see cref="S3ObjectRecord"/>s in runs of <see cref="RecordRun"/>'s
/// compact format, the bucket the listing's.
/// </summary>
internal sealed class RecordSorter : ExternalSorter<S3ObjectRecord>
{
    public RecordSorter(IComparer<S3ObjectRecord> order, string bucket, int runSize, TemporaryFolder folder)
        : base(order, new RecordRun(bucket), runSize, folder)
    {
    }
}
