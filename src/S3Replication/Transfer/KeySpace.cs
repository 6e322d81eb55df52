using System;
using System.Collections.Generic;
using System.Linq;

namespace S3Replication.Transfer;

/// <summary>
/// Where to cut the rest of a key range so its parts can be listed at the same time. S3 lists from any key on
/// (StartAfter, KeyMarker) but says nothing about how keys are spread, so the cuts are guessed from the last page:
/// around the last key listed, every sibling of each of its characters (digits, lower- and upper-case letters as
/// classes, any other character as itself), from the position where that page's keys began to differ up to the
/// range's fixed part. Those are the folders, dates and counters of real key spaces; a cut that guessed wrong is one
/// empty page, and a part that is still large is cut again when it is listed. Keys beyond a class (after '9', 'z',
/// 'Z') stay with its last sibling: they are rare, and a cut for them would mostly be an empty page. Pure.
/// </summary>
internal static class KeySpace
{
    /// <summary>
    /// Increasing boundaries strictly between <paramref name="after"/> and <paramref name="upTo"/> (inclusive upper
    /// bounds of the parts: keys in (after, b1], (b1, b2], …, (bn, upTo]), at most <paramref name="budget"/>, each
    /// under <paramref name="prefix"/>.
    /// </summary>
    /// <param name="after">The last key listed (the range goes on after it).</param>
    /// <param name="upTo">The range's inclusive end, or null for the end of the prefix.</param>
    /// <param name="prefix">What every key of the listing starts with.</param>
    /// <param name="pageFirst">The first key of the page that ended with <paramref name="after"/>.</param>
    public static IReadOnlyList<string> Boundaries(string after, string? upTo, string prefix, string pageFirst, int budget)
    {
        var fixedLength = upTo is null ? prefix.Length : Math.Max(prefix.Length, CommonPrefixLength(after, upTo));
        var deepest = Math.Min(CommonPrefixLength(pageFirst, after), after.Length - 1);
        var cuts = new List<string>();
        for (var position = deepest; position >= fixedLength && cuts.Count < budget; position--)
        {
            var character = after[position];
            if (character >= '\u007F')
            {
                // Only ASCII is cut: a cut inside a surrogate pair would not be a string S3 can take.
                continue;
            }
            var stem = after.Substring(0, position);
            var last = ClassEnd(character);
            for (var sibling = (char)(character + 1); sibling <= last && cuts.Count < budget; sibling++)
            {
                var cut = stem + sibling;
                if (upTo is null || KeyOrder.Instance.Compare(cut, upTo) < 0)
                {
                    cuts.Add(cut);
                }
            }
        }
        return cuts.Where(cut => cut.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(cut => cut, KeyOrder.Instance).ToList();
    }

    /// <summary>The last character of the class <paramref name="character"/> belongs to (itself outside digits and letters: no siblings).</summary>
    private static char ClassEnd(char character) => character switch
    {
        >= '0' and <= '9' => '9',
        >= 'a' and <= 'z' => 'z',
        >= 'A' and <= 'Z' => 'Z',
        _ => character,
    };

    public static int CommonPrefixLength(string first, string second)
    {
        var length = Math.Min(first.Length, second.Length);
        var index = 0;
        while (index < length && first[index] == second[index])
        {
            index++;
        }
        return index;
    }
}
