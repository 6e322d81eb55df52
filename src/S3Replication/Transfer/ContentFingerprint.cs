using System;
using System.Collections.Generic;
using System.Linq;
using Amazon.S3.Model;

namespace S3Replication.Transfer;

/// <summary>
/// What a HEAD (checksum mode on) says about an object's content: its size and ETag, how it is encrypted, and the
/// additional checksums S3 stored for it. Enough to tell "same content?" where the ETag alone cannot.
/// </summary>
internal sealed record ContentFingerprint(long Size, string? ETag, string? Encryption, bool CustomerKey,
    IReadOnlyDictionary<string, string> Checksums, string? ChecksumType)
{
    /// <summary>The algorithms S3 stores, in the order they are tried (full-object CRCs first: they survive any part layout).</summary>
    public static readonly string[] Algorithms = { "CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1" };

    public static ContentFingerprint Of(GetObjectMetadataResponse head)
    {
        var checksums = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string algorithm, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                checksums[algorithm] = value!;
            }
        }
        Add("CRC64NVME", head.ChecksumCRC64NVME);
        Add("CRC32C", head.ChecksumCRC32C);
        Add("CRC32", head.ChecksumCRC32);
        Add("SHA256", head.ChecksumSHA256);
        Add("SHA1", head.ChecksumSHA1);
        return new ContentFingerprint(head.ContentLength, head.ETag, head.ServerSideEncryptionMethod?.Value,
            !string.IsNullOrEmpty(head.ServerSideEncryptionCustomerMethod?.Value), checksums, head.ChecksumType?.Value);
    }

    /// <summary>The part count of a multipart ETag ("…-N"), or 0 for a single-part one.</summary>
    public int ETagParts => PartsOf(ETags.Normalize(ETag));

    /// <summary>
    /// An ETag is the MD5 of the content only for a single-part object stored unencrypted or with SSE-S3; SSE-KMS and
    /// SSE-C ETags are not derived from the content, and a replica's differs from the original.
    /// </summary>
    public bool ETagIsContentHash => ETagParts == 0 && !CustomerKey && Encryption is null or "" or "AES256";

    /// <summary>Multipart, unencrypted or SSE-S3: the ETag is the MD5 of the part MD5s, comparable only with the same part layout.</summary>
    public bool ETagIsPartHash => ETagParts > 0 && !CustomerKey && Encryption is null or "" or "AES256";

    internal static int PartsOf(string value)
    {
        var dash = value.LastIndexOf('-');
        return dash > 0 && int.TryParse(value.Substring(dash + 1), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var parts) ? parts : 0;
    }
}

/// <summary>
/// Decides "same content?" for two objects of the same size from their fingerprints (SameETag, SameChecksum,
/// ETagDiffers, ChecksumDiffers or Unverifiable), exactly where that is possible:
/// equal ETags, or ETags that are content hashes; otherwise a checksum both sides have with the same algorithm
/// (a composite multipart checksum only with the same part count); otherwise it cannot be told, and the object is
/// copied. Pure.
/// </summary>
internal static class ContentComparer
{
    public static SyncReason Compare(ContentFingerprint backup, ContentFingerprint source, bool checksumOnly)
    {
        if (backup.Size != source.Size)
        {
            return SyncReason.SizeDiffers;
        }
        if (!checksumOnly)
        {
            var sameETag = string.Equals(ETags.Normalize(backup.ETag), ETags.Normalize(source.ETag), StringComparison.OrdinalIgnoreCase);
            if (sameETag && !string.IsNullOrEmpty(backup.ETag))
            {
                return SyncReason.SameETag;
            }
            if (backup.ETagIsContentHash && source.ETagIsContentHash)
            {
                return SyncReason.ETagDiffers;
            }
        }
        foreach (var algorithm in ContentFingerprint.Algorithms)
        {
            if (!backup.Checksums.TryGetValue(algorithm, out var ours) || !source.Checksums.TryGetValue(algorithm, out var theirs))
            {
                continue;
            }
            // A composite checksum ("…-N") is a checksum of part checksums: it speaks only for the same part count.
            if (ContentFingerprint.PartsOf(ours) != ContentFingerprint.PartsOf(theirs))
            {
                continue;
            }
            return string.Equals(ours, theirs, StringComparison.Ordinal)
                ? SyncReason.SameChecksum
                : SyncReason.ChecksumDiffers;
        }
        if (!checksumOnly && backup.ETagIsPartHash && source.ETagIsPartHash && backup.ETagParts == source.ETagParts)
        {
            return SyncReason.ETagDiffers;
        }
        return SyncReason.Unverifiable;
    }
}
