using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace S3Replication.Core;

/// <summary>Lower-case hex of digests (ETags, cache-file names, partial-download tags, manifest and request identities), and hex read back.</summary>
internal static class Hex
{
    public static string Of(IEnumerable<byte> bytes) => string.Concat(bytes.Select(value => value.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>The bytes of <paramref name="text"/>, an even number of hex digits (either case).</summary>
    public static byte[] Parse(string text)
    {
        var bytes = new byte[text.Length / 2];
        for (var index = 0; index < bytes.Length; index++)
        {
            bytes[index] = (byte)((System.Uri.FromHex(text[2 * index]) << 4) | System.Uri.FromHex(text[2 * index + 1]));
        }
        return bytes;
    }

    public static string Sha256(string text)
    {
        using var sha = SHA256.Create();
        return Of(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }
}
