namespace S3Replication.Transfer.Inventory;

/// <summary>The data file formats of an S3 Inventory this module reads (ORC is refused when the manifest is read).</summary>
internal enum InventoryFormat
{
    /// <summary>CSV compressed with GZIP, no header row, keys URL-encoded.</summary>
    Csv,

    /// <summary>Apache Parquet (AWS compresses it with Snappy).</summary>
    Parquet,
}
