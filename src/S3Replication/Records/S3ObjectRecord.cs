using System;

namespace S3Replication.Records;

/// <summary>An object or object version in a bucket; flows between the object cmdlets by property name.</summary>
public class S3ObjectRecord
{
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public string? VersionId { get; set; }
    public long Size { get; set; }
    public string? ETag { get; set; }
    public DateTime? LastModified { get; set; }
    public string? StorageClass { get; set; }
    public bool IsLatest { get; set; } = true;
    public bool IsDeleteMarker { get; set; }

    /// <summary>The additional checksum S3 stores for the object (CRC64NVME, CRC32, CRC32C, SHA1, SHA256), if any; restores keep it.</summary>
    public string? ChecksumAlgorithm { get; set; }

    public override string ToString() => VersionId is null ? $"s3://{Bucket}/{Key}" : $"s3://{Bucket}/{Key}?versionId={VersionId}";
}
