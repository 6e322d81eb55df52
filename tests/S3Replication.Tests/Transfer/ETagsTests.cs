using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

public class ETagsTests
{
    private const long MiB = 1024 * 1024;

    /// <summary>S3's multipart ETag, written out independently: MD5 of the concatenated part MD5s, then "-parts".</summary>
    private static string ReferenceMultipart(byte[] content, int partSize)
    {
        var digests = content.Chunk(partSize).SelectMany(part => MD5.HashData(part)).ToArray();
        if (content.Length == 0)
        {
            digests = MD5.HashData(Array.Empty<byte>());
        }
        var parts = Math.Max(1, (content.Length + partSize - 1) / partSize);
        return Convert.ToHexString(MD5.HashData(digests)).ToLowerInvariant() + "-" + parts;
    }

    [Fact]
    public async Task A_single_part_etag_is_the_md5()
    {
        var etag = await ETags.ComputeAsync(new MemoryStream("hello"u8.ToArray()), 0, multipart: false, default);
        Assert.Equal("5d41402abc4b2a76b9719d911017c592", etag);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(5 * MiB, 5)]
    [InlineData(5 * MiB + 1, 5)]
    [InlineData(12 * MiB, 5)]
    [InlineData(16 * MiB, 8)]
    public async Task A_multipart_etag_matches_the_reference(long size, int partMiB)
    {
        var content = RandomNumberGenerator.GetBytes((int)size);
        var etag = await ETags.ComputeAsync(new MemoryStream(content), partMiB * MiB, multipart: true, default);
        Assert.Equal(ReferenceMultipart(content, (int)(partMiB * MiB)), etag);
    }

    [Theory]
    [InlineData("\"5d41402abc4b2a76b9719d911017c592\"", 1)]
    [InlineData("5d41402abc4b2a76b9719d911017c592-12", 12)]
    [InlineData("5d41402abc4b2a76b9719d911017c592-0", null)]
    [InlineData("not-an-md5", null)]
    [InlineData("", null)]
    public void Reads_the_part_count(string etag, int? parts) => Assert.Equal(parts, ETags.PartCount(etag));

    [Fact]
    public void Tries_only_part_sizes_that_give_the_etags_part_count()
    {
        var candidates = ETags.CandidatePartSizes(12 * MiB, 3, new[] { 7 * MiB }).ToList();
        Assert.Equal(new[] { 5 * MiB, 4 * MiB }, candidates);
        Assert.All(ETags.CandidatePartSizes(100 * MiB + 3, 13, Array.Empty<long>()), size => Assert.Equal(13, (100 * MiB + 3 + size - 1) / size));
    }

    [Fact]
    public async Task A_file_matches_its_own_etags_and_not_another_files()
    {
        var path = Path.GetTempFileName();
        try
        {
            var content = RandomNumberGenerator.GetBytes((int)(12 * MiB));
            await File.WriteAllBytesAsync(path, content);
            Assert.True(await ETags.FileMatchesAsync(path, ReferenceMultipart(content, (int)(5 * MiB)), Array.Empty<long>(), default));
            Assert.True(await ETags.FileMatchesAsync(path, ReferenceMultipart(content, (int)(8 * MiB)), Array.Empty<long>(), default));
            Assert.True(await ETags.FileMatchesAsync(path, $"\"{Convert.ToHexString(MD5.HashData(content))}\"", Array.Empty<long>(), default));
            content[^1] ^= 1;
            Assert.False(await ETags.FileMatchesAsync(path, ReferenceMultipart(content, (int)(5 * MiB)), Array.Empty<long>(), default));
            Assert.Null(await ETags.FileMatchesAsync(path, "kms-style-etag", Array.Empty<long>(), default));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
