using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;

namespace S3Replication.Transfer;

/// <summary>
/// Whether local content has an S3 ETag. A single-part upload's ETag is the MD5 of the content; a multipart one is
/// the MD5 of the parts' MD5s followed by "-&lt;parts&gt;", which depends on the part size the uploader chose. That size
/// is not recorded, so the common ones that give the ETag's part count are tried. SSE-KMS and SSE-C objects have
/// ETags that are not MD5s, and never match.
/// </summary>
internal static class ETags
{
    private const long MiB = 1024 * 1024;
    private static readonly long[] CommonPartSizes = { 5 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB, 100 * MiB, 128 * MiB, 256 * MiB, 512 * MiB, 1024 * MiB };
    private const int MaxCandidates = 3;

    public static string Normalize(string? etag) => (etag ?? "").Trim().Trim('"');

    /// <summary>The number of parts of a multipart ETag; 1 for a plain MD5; null for anything else.</summary>
    public static int? PartCount(string etag)
    {
        var value = Normalize(etag);
        var dash = value.IndexOf('-');
        if (dash < 0)
        {
            return IsMd5(value) ? 1 : null;
        }
        return IsMd5(value.Substring(0, dash)) && int.TryParse(value.Substring(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var parts) && parts > 0
            ? parts
            : null;
    }

    /// <summary>Part sizes worth trying for a multipart ETag: those giving its part count, preferred ones first.</summary>
    public static IEnumerable<long> CandidatePartSizes(long size, int parts, IEnumerable<long> preferred)
    {
        var evenSplit = (size + parts - 1) / parts;
        var roundedToMiB = (evenSplit + MiB - 1) / MiB * MiB;
        return preferred.Concat(CommonPartSizes).Concat(new[] { roundedToMiB, evenSplit })
            .Where(partSize => partSize > 0 && (size + partSize - 1) / partSize == parts)
            .Distinct()
            .Take(MaxCandidates);
    }

    /// <summary>The ETag S3 would give this content uploaded in parts of <paramref name="partSize"/> (a plain MD5 when not multipart).</summary>
    public static async Task<string> ComputeAsync(Stream content, long partSize, bool multipart, CancellationToken cancellationToken)
    {
        if (!multipart)
        {
            using var md5 = MD5.Create();
            await HashAsync(content, md5, long.MaxValue, cancellationToken).ConfigureAwait(false);
            return Hex.Of(md5.Hash!);
        }
        using var combined = MD5.Create();
        var parts = 0;
        while (true)
        {
            using var part = MD5.Create();
            var read = await HashAsync(content, part, partSize, cancellationToken).ConfigureAwait(false);
            if (read == 0 && parts > 0)
            {
                break;
            }
            combined.TransformBlock(part.Hash!, 0, part.Hash!.Length, null, 0);
            parts++;
            if (read < partSize)
            {
                break;
            }
        }
        combined.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return $"{Hex.Of(combined.Hash!)}-{parts}";
    }

    /// <summary>True or false when the file's content can be compared with the ETag; null when the ETag is not one this can compute.</summary>
    public static async Task<bool?> FileMatchesAsync(string path, string? etag, IEnumerable<long> preferredPartSizes, CancellationToken cancellationToken)
    {
        var expected = Normalize(etag).ToLowerInvariant();
        if (PartCount(expected) is not { } parts)
        {
            return null;
        }
        var size = new FileInfo(path).Length;
        var candidates = parts == 1 && expected.IndexOf('-') < 0 ? new long[] { 0 } : CandidatePartSizes(size, parts, preferredPartSizes).ToArray();
        if (candidates.Length == 0)
        {
            return null;
        }
        foreach (var partSize in candidates)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            if (await ComputeAsync(file, partSize, partSize > 0, cancellationToken).ConfigureAwait(false) == expected)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsMd5(string value) => value.Length == 32 && value.All(Uri.IsHexDigit);

    private static async Task<long> HashAsync(Stream content, HashAlgorithm hash, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        while (total < limit)
        {
            var read = await content.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, limit - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            hash.TransformBlock(buffer, 0, read, null, 0);
            total += read;
        }
        hash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return total;
    }
}
