using System;
using System.Collections.Generic;
using System.Text;

namespace S3Replication.Transfer;

/// <summary>
/// Where to cut the rest of a key range so its parts can be listed at the same time. S3 lists from any key on
/// (StartAfter, KeyMarker) and under any prefix, but says nothing about how keys are spread, so the cuts are guessed from
/// the last page: around the last key listed, the next few siblings of each of its characters (within digits, lower- and
/// upper-case letters), from the position where that page's keys began to differ up to the range's fixed part, where
/// each sibling is likely to hold at least <c>minimumKeys</c> (the page's keys spread over the characters it spanned,
/// times the class sizes above). Those are the folders, dates and counters of real key spaces. Each sibling is listed
/// under its own prefix, so its pages end where it does; what lies between the siblings (keys with characters outside
/// the class) is a part of its own, after the last sibling. A cut that guessed wrong costs one empty page, and a part
/// that is still large is cut again when it is listed. Every key of the range is in exactly one part. Pure.
/// </summary>
internal static class KeySpace
{
    /// <summary>
    /// The highest code point: the last sibling's part ends at its prefix and this (inclusive), and the part after it
    /// starts after that. Keys that go on past it (the sibling's prefix, U+10FFFF, more) sort above it and so fall to
    /// the part after, which is listed under a prefix they share: every key is still in exactly one part.
    /// </summary>
    private const string Highest = "\U0010FFFF";

    /// <summary>
    /// Siblings guessed after a character: the next few are the likely ones (the next day, month, year, counter; names use
    /// few of the 26 letters), and most of the rest of a class is empty, so the rest go to the part after the last
    /// sibling, which is cut again if it is large. Measured on a 500,000-key date hierarchy: the whole class made twice
    /// the requests (half of them empty pages) for a slower listing.
    /// </summary>
    private const int Siblings = 3;

    /// <summary>Cuts are not made where the part's StartAfter would come near S3's 1,024-byte limit.</summary>
    private const int LongestStem = 1000;

    /// <param name="after">The last key listed (the range goes on after it).</param>
    /// <param name="prefix">What every key of the range starts with (the range's listing prefix).</param>
    /// <param name="end">Where the range ends, or null at the end of its prefix.</param>
    /// <param name="pageFirst">The first key of the page that ended with <paramref name="after"/>.</param>
    /// <param name="budget">The most parts to make.</param>
    /// <param name="pageKeys">How many keys that page held.</param>
    /// <param name="minimumKeys">The fewest keys a sibling is expected to hold for a cut there to be worth a request.</param>
    /// <returns>Null where nothing is worth cutting.</returns>
    public static KeyRangeCut? Cut(string after, string prefix, KeyBound? end, string pageFirst, int budget, int pageKeys, int minimumKeys)
    {
        var fixedLength = end is { } bound ? Math.Max(prefix.Length, CommonPrefixLength(after, bound.Key)) : prefix.Length;
        var deepest = Math.Min(CommonPrefixLength(pageFirst, after), after.Length - 1);
        // The page's keys spread over the characters it spanned at the position where they began to differ.
        var expected = deepest >= 0 && deepest < pageFirst.Length ? (double)pageKeys / Math.Max(1, after[deepest] - pageFirst[deepest] + 1) : pageKeys;
        // Per cut position, deepest first: its stem and its siblings' characters.
        var positions = new List<(int Position, char First, char Last)>();
        var parts = 0;
        for (var position = deepest; position >= fixedLength && parts < budget; position--)
        {
            if (position < deepest)
            {
                expected *= ClassSize(after[position + 1]);
            }
            var character = after[position];
            if (character >= '\u007F' || expected < minimumKeys || Encoding.UTF8.GetByteCount(after.Substring(0, position)) > LongestStem)
            {
                // Only ASCII is cut: a cut inside a surrogate pair would not be a string S3 can take.
                continue;
            }
            var last = ClassEnd(character);
            if (end is { } limit && position == fixedLength && position < limit.Key.Length)
            {
                // A sibling must end before the range does.
                last = (char)Math.Min(last, limit.Key[position] - 1);
            }
            if (last <= character)
            {
                continue;
            }
            var siblings = Math.Min(Math.Min(last - character, Siblings), budget - parts - 1);
            if (siblings <= 0)
            {
                break;
            }
            positions.Add((position, (char)(character + 1), (char)(character + siblings)));
            parts += siblings + 1;
        }
        if (positions.Count == 0)
        {
            return null;
        }
        var cut = new List<KeyRangePart>();
        for (var index = 0; index < positions.Count; index++)
        {
            var (position, first, last) = positions[index];
            var stem = after.Substring(0, position);
            for (var sibling = first; sibling < last; sibling++)
            {
                cut.Add(new KeyRangePart(stem + sibling, null, null));
            }
            var lastEnds = stem + last + Highest;
            cut.Add(new KeyRangePart(stem + last, null, new KeyBound(lastEnds, Inclusive: true)));
            // After the last sibling: the stem's other keys, and those of the positions up to the next cut, which all share
            // the next cut's stem and its character; after the shallowest cut, the rest of the range.
            cut.Add(index + 1 < positions.Count
                ? new KeyRangePart(after.Substring(0, positions[index + 1].Position + 1), lastEnds, null)
                : new KeyRangePart(prefix, lastEnds, end));
        }
        var (deepestCut, deepestFirst, _) = positions[0];
        return new KeyRangeCut(new KeyBound(after.Substring(0, deepestCut) + deepestFirst, Inclusive: false), cut);
    }

    /// <summary>How many characters the class of <paramref name="character"/> has (1 outside digits and letters).</summary>
    private static int ClassSize(char character) => character switch
    {
        >= '0' and <= '9' => 10,
        >= 'a' and <= 'z' or >= 'A' and <= 'Z' => 26,
        _ => 1,
    };

    /// <summary>The last character of the class <paramref name="character"/> belongs to (itself outside digits and letters: no siblings).</summary>
    private static char ClassEnd(char character) => character switch
    {
        >= '0' and <= '9' => '9',
        >= 'a' and <= 'z' => 'z',
        >= 'A' and <= 'Z' => 'Z',
        _ => character,
    };

    private static int CommonPrefixLength(string first, string second)
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
