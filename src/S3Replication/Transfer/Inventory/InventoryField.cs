namespace S3Replication.Transfer.Inventory;

/// <summary>The columns of an S3 Inventory this module reads; every other column (encryption, replication, Object Lock...) is <see cref="Other"/>.</summary>
internal enum InventoryField
{
    Other,
    Bucket,
    Key,
    VersionId,
    IsLatest,
    IsDeleteMarker,
    Size,
    LastModifiedDate,
    ETag,
    StorageClass,
    ChecksumAlgorithm,
}
