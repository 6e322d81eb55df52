using System.Collections.Generic;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>The comparison matrix on HEAD answers: encryption × part layout × checksum algorithm and type.</summary>
public class ContentComparerTests
{
    private const string Md5A = "\"9e107d9d372bb6826bd81d3542a419d6\"";
    private const string Md5B = "\"e4d909c290d0fb1ca068ffaddf22cbd0\"";

    private static ContentFingerprint Object(string etag, string? encryption = null, bool customerKey = false, long size = 100,
        params (string Algorithm, string Value)[] checksums)
    {
        var map = new Dictionary<string, string>();
        foreach (var (algorithm, value) in checksums)
        {
            map[algorithm] = value;
        }
        return new ContentFingerprint(size, etag, encryption, customerKey, map, null);
    }

    public static IEnumerable<object[]> Matrix => new[]
    {
        // Plain and SSE-S3 single-part: the ETag is the MD5, and settles it either way.
        new object[] { Object(Md5A), Object(Md5A), false, "SameETag" },
        new object[] { Object(Md5A), Object(Md5B), false, "ETagDiffers" },
        new object[] { Object(Md5A, "AES256"), Object(Md5B, "AES256"), false, "ETagDiffers" },
        // SSE-KMS and SSE-C: the ETag is not the content's; the checksum decides, or nothing can.
        new object[] { Object(Md5A, "aws:kms", checksums: ("CRC32", "AAAAAA==")), Object(Md5B, "aws:kms", checksums: ("CRC32", "AAAAAA==")), false, "SameChecksum" },
        new object[] { Object(Md5A, "aws:kms", checksums: ("CRC32", "AAAAAA==")), Object(Md5B, "aws:kms", checksums: ("CRC32", "BBBBBB==")), false, "ChecksumDiffers" },
        new object[] { Object(Md5A, "aws:kms"), Object(Md5B, "aws:kms"), false, "Unverifiable" },
        new object[] { Object(Md5A, customerKey: true, checksums: ("SHA256", "s=")), Object(Md5B, customerKey: true, checksums: ("SHA256", "s=")), false, "SameChecksum" },
        new object[] { Object(Md5A, customerKey: true), Object(Md5B), false, "Unverifiable" },
        // Multipart with different part sizes: a full-object CRC speaks regardless; a composite one only for the same part count.
        new object[] { Object("\"aa-3\"", checksums: ("CRC64NVME", "x=")), Object("\"bb-5\"", checksums: ("CRC64NVME", "x=")), false, "SameChecksum" },
        new object[] { Object("\"aa-3\"", checksums: ("SHA256", "c=-3")), Object("\"bb-5\"", checksums: ("SHA256", "d=-5")), false, "Unverifiable" },
        new object[] { Object("\"aa-3\"", checksums: ("SHA256", "c=-3")), Object("\"bb-3\"", checksums: ("SHA256", "c=-3")), false, "SameChecksum" },
        new object[] { Object("\"aa-3\""), Object("\"bb-3\""), false, "ETagDiffers" },
        new object[] { Object("\"aa-3\""), Object("\"bb-5\""), false, "Unverifiable" },
        new object[] { Object("\"aa-3\""), Object("\"aa-3\""), false, "SameETag" },
        // Each algorithm, and different algorithms on the two sides (nothing in common: cannot tell).
        new object[] { Object(Md5A, "aws:kms", checksums: ("CRC32C", "q=")), Object(Md5B, "aws:kms", checksums: ("CRC32C", "q=")), false, "SameChecksum" },
        new object[] { Object(Md5A, "aws:kms", checksums: ("SHA1", "h=")), Object(Md5B, "aws:kms", checksums: ("SHA1", "i=")), false, "ChecksumDiffers" },
        new object[] { Object(Md5A, "aws:kms", checksums: ("CRC32", "a=")), Object(Md5B, "aws:kms", checksums: ("SHA256", "a=")), false, "Unverifiable" },
        // Sizes first, whatever else.
        new object[] { Object(Md5A), Object(Md5A, size: 101), false, "SizeDiffers" },
        // -CompareBy Checksum ignores ETags, even equal ones.
        new object[] { Object(Md5A), Object(Md5A), true, "Unverifiable" },
        new object[] { Object(Md5A, checksums: ("CRC32", "a=")), Object(Md5B, checksums: ("CRC32", "a=")), true, "SameChecksum" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Decides_exactly_where_the_fingerprints_allow(object backup, object source, bool checksumOnly, string reason) =>
        Assert.Equal(reason, ContentComparer.Compare((ContentFingerprint)backup, (ContentFingerprint)source, checksumOnly).ToString());

    [Theory]
    [InlineData("\"abc\"", 0)]
    [InlineData("\"abc-12\"", 12)]
    [InlineData("abc-", 0)]
    public void Reads_the_part_count_of_an_etag(string etag, int parts) =>
        Assert.Equal(parts, new ContentFingerprint(1, etag, null, false, new Dictionary<string, string>(), null).ETagParts);
}

public class ContentFingerprintTests
{
    [Fact]
    public void Reads_encryption_and_every_stored_checksum_from_a_head_answer()
    {
        var head = new Amazon.S3.Model.GetObjectMetadataResponse
        {
            ETag = "\"abc-4\"",
            ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AWSKMS,
            ChecksumCRC32 = "crc32=",
            ChecksumSHA256 = "sha=-4",
        };
        head.ContentLength = 42;

        var fingerprint = ContentFingerprint.Of(head);

        Assert.Equal((42L, "aws:kms", 4), (fingerprint.Size, fingerprint.Encryption, fingerprint.ETagParts));
        Assert.Equal(new Dictionary<string, string> { ["CRC32"] = "crc32=", ["SHA256"] = "sha=-4" }, fingerprint.Checksums);
        Assert.False(fingerprint.ETagIsContentHash);
        Assert.False(fingerprint.ETagIsPartHash);
    }
}
