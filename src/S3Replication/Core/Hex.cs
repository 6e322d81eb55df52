using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace S3Replication.Core;

/// <summary>Lower-case hex of digests: ETags, cache-file names, partial-download tags, manifest and request identities.</summary>
internal static class Hex
{
    public static string Of(IEnumerable<byte> bytes) => string.Concat(bytes.Select(value => value.ToString("x2", CultureInfo.InvariantCulture)));

    public static string Sha256(string text)
    {
        using var sha = SHA256.Create();
        return Of(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }
}
