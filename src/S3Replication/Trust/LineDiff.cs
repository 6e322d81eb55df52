using System.Collections.Generic;

namespace S3Replication.Trust;

/// <summary>A whole-document line diff ("  " kept, "- " removed, "+ " added) for -WhatIf and -Confirm.</summary>
internal static class LineDiff
{
    public static IReadOnlyList<string> Of(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        // Longest common subsequence table; trust policies are a few dozen lines at most.
        var common = new int[before.Count + 1, after.Count + 1];
        for (var i = before.Count - 1; i >= 0; i--)
        {
            for (var j = after.Count - 1; j >= 0; j--)
            {
                common[i, j] = before[i] == after[j] ? common[i + 1, j + 1] + 1 : System.Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var lines = new List<string>();
        int x = 0, y = 0;
        while (x < before.Count || y < after.Count)
        {
            if (x < before.Count && y < after.Count && before[x] == after[y])
            {
                lines.Add("  " + before[x++]);
                y++;
            }
            else if (x < before.Count && (y == after.Count || common[x + 1, y] >= common[x, y + 1]))
            {
                // Removed lines first, then the lines that replace them, as unified diffs show them.
                lines.Add("- " + before[x++]);
            }
            else
            {
                lines.Add("+ " + after[y++]);
            }
        }
        return lines;
    }
}
