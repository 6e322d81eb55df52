using System;
using System.Collections.Generic;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// An inventory row as the record a listing gives for the same object, so an inventory and a listing compare exactly:
/// the ETag quoted as ListObjectsV2 and ListObjectVersions give it (inventories write it bare), a null version named
/// "null" as ListObjectVersions names it (inventories leave it empty), a delete marker's size 0, empty fields null.
/// </summary>
internal sealed class InventoryRecords
{
    private readonly string _bucket;
    private readonly bool _versions;
    private const int MaxInterned = 64;

    private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);

    /// <param name="bucket">The source bucket the inventory lists: every record's Bucket.</param>
    /// <param name="versions">An inventory of all versions: every record names its version.</param>
    public InventoryRecords(string bucket, bool versions)
    {
        _bucket = bucket;
        _versions = versions;
    }

    public S3ObjectRecord Create(string key, string? versionId, bool? isLatest, bool? isDeleteMarker, long? size, DateTime? lastModified,
        string? etag, string? storageClass, string? checksumAlgorithm) => new()
    {
        Bucket = _bucket,
        Key = key,
        VersionId = _versions ? (string.IsNullOrEmpty(versionId) ? "null" : versionId) : null,
        IsLatest = isLatest ?? true,
        IsDeleteMarker = isDeleteMarker ?? false,
        Size = size ?? 0,
        LastModified = lastModified,
        ETag = string.IsNullOrEmpty(etag) ? null : etag![0] == '"' ? etag : "\"" + etag + "\"",
        StorageClass = Intern(storageClass),
        ChecksumAlgorithm = Intern(checksumAlgorithm),
    };

    /// <summary>The same few values (storage classes, algorithms) shared, not held once per object.</summary>
    private string? Intern(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (_interned.TryGetValue(value!, out var shared))
        {
            return shared;
        }
        if (_interned.Count < MaxInterned)
        {
            _interned[value!] = value!;
        }
        return value;
    }
}
