using System;
using System.Collections.Generic;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// The order listings arrive in: keys in S3's order (<see cref="KeyOrder"/>, UTF-8 binary); with versions, a key's
/// versions together and newest first as ListObjectVersions gives them (the current one first, then by LastModified,
/// then by version id, so that versions written in the same millisecond still have one order).
/// </summary>
internal sealed class InventoryOrder : IComparer<S3ObjectRecord>
{
    public static readonly InventoryOrder Keys = new(versions: false);
    public static readonly InventoryOrder Versions = new(versions: true);

    private readonly bool _versions;

    private InventoryOrder(bool versions) => _versions = versions;

    public int Compare(S3ObjectRecord? x, S3ObjectRecord? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }
        var order = KeyOrder.Instance.Compare(x.Key, y.Key);
        if (order != 0 || !_versions)
        {
            return order;
        }
        if (x.IsLatest != y.IsLatest)
        {
            return x.IsLatest ? -1 : 1;
        }
        order = Nullable.Compare(y.LastModified, x.LastModified);
        return order != 0 ? order : string.CompareOrdinal(x.VersionId, y.VersionId);
    }

    /// <summary>Whether two neighbours in this order are the same object (the same key; with versions, the same version).</summary>
    public bool Same(S3ObjectRecord x, S3ObjectRecord y) => x.Key == y.Key && (!_versions || x.VersionId == y.VersionId);
}
