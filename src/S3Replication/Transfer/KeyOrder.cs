using System.Collections.Generic;

namespace S3Replication.Transfer;

/// <summary>
/// S3 lists keys in UTF-8 binary order, which is Unicode code point order. .NET's ordinal order compares UTF-16
/// code units and differs exactly where a surrogate pair (U+10000 and up) meets U+E000..U+FFFF: merge-joining two
/// listings needs the server's order, or keys would be missed.
/// </summary>
internal sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null)
        {
            return -1;
        }
        if (y is null)
        {
            return 1;
        }
        var length = x.Length < y.Length ? x.Length : y.Length;
        for (var index = 0; index < length; index++)
        {
            var a = x[index];
            var b = y[index];
            if (a == b)
            {
                continue;
            }
            var aSurrogate = char.IsSurrogate(a);
            var bSurrogate = char.IsSurrogate(b);
            if (aSurrogate != bSurrogate && (aSurrogate ? b : a) >= '\uE000')
            {
                // A supplementary character (surrogate) is above every BMP character from U+E000.
                return aSurrogate ? 1 : -1;
            }
            return a < b ? -1 : 1;
        }
        return x.Length.CompareTo(y.Length);
    }
}
