namespace S3Replication.Transfer.Inventory;

/// <summary>One data file a manifest lists: its key in the destination bucket, its size and the MD5 of its bytes (lower-case hex).</summary>
internal sealed record InventoryDataFile(string Key, long Size, string Md5);
