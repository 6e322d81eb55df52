using System.Collections.Generic;
using System.Threading;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>Where a plan's objects come from: LIST requests (<see cref="ObjectLister"/>) or an S3 Inventory (<see cref="Inventory.InventoryListing"/>).</summary>
internal interface IObjectSource
{
    /// <summary>Whether <see cref="ListVersionsAsync"/> can name every version (an inventory of current versions cannot).</summary>
    bool HasVersions { get; }

    /// <summary>
    /// Whether it tells the bucket as it was some time ago (an inventory) rather than now (a listing): a run that writes
    /// reads what it decides on again.
    /// </summary>
    bool IsSnapshot { get; }

    /// <summary>The latest objects under the prefix, in S3's key order.</summary>
    IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, CancellationToken cancellationToken);

    /// <summary>Every version and delete marker under the prefix, a key's versions together and newest first.</summary>
    IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, CancellationToken cancellationToken);
}
