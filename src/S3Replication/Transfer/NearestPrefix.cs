using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>
/// Where a -Prefix that selects nothing went wrong: the deepest folder above it ('/'-separated) that does hold keys, and
/// what is in it — so "imap/mag/l1a/2025/3/" is answered with "imap/mag/l1a/2025/ holds 01/, 02/, …". One LIST a level,
/// deepest first, and never more than <see cref="MaxLevels"/>.
/// </summary>
internal static class NearestPrefix
{
    public const int MaxLevels = 8;

    /// <summary>How many entries of the level the hint names.</summary>
    public const int Shown = 12;

    /// <param name="nextLevel">The folders then keys directly under a prefix (a delimited listing's first page).</param>
    /// <returns>The message, or null when the bucket holds no key at all (nothing to point at).</returns>
    public static async Task<string?> HintAsync(string bucket, string prefix, Func<string, CancellationToken, Task<IReadOnlyList<string>>> nextLevel,
        CancellationToken cancellationToken)
    {
        foreach (var parent in ParentsOf(prefix).Take(MaxLevels))
        {
            var entries = await nextLevel(parent, cancellationToken).ConfigureAwait(false);
            if (entries.Count == 0)
            {
                continue;
            }
            var names = entries.Take(Shown).Select(entry => entry.Substring(parent.Length));
            // One LIST page holds at most 1,000 entries: a full page may not be all of them.
            var more = entries.Count > Shown ? (entries.Count >= 1000 ? ", … (1,000 or more in all)" : $", … ({entries.Count:N0} in all)") : "";
            var where = parent.Length == 0 ? "the top of the bucket" : $"'{parent}'";
            return $"No key of s3://{bucket} starts with '{prefix}'. Under {where} there are: {string.Join(", ", names)}{more}.";
        }
        return null;
    }

    /// <summary>The folders above a prefix, deepest first, down to the bucket's top (""): "a/b/c" gives "a/b/", "a/", "".</summary>
    public static IEnumerable<string> ParentsOf(string prefix)
    {
        // A prefix ending in '/' names a folder that does not exist: its parent is the first place to look.
        var searchFrom = prefix.EndsWith("/", StringComparison.Ordinal) ? prefix.Length - 2 : prefix.Length - 1;
        var end = searchFrom >= 0 ? prefix.LastIndexOf('/', searchFrom) : -1;
        while (end >= 0)
        {
            yield return prefix.Substring(0, end + 1);
            end = end > 0 ? prefix.LastIndexOf('/', end - 1) : -1;
        }
        yield return "";
    }
}
