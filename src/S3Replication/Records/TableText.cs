using System;
using System.Collections.Generic;
using System.Text;

namespace S3Replication.Records;

/// <summary>
/// Cell text for the default table views (S3Replication.format.ps1xml). PowerShell wraps a cell that is wider than its
/// column at spaces only, and in a culture it has no word-wrap rules for (the invariant one among them) not even there:
/// a bucket name, key or ARN is cut mid-word. The views pass such values through <see cref="Wrap"/> with their column's
/// width, so that every line fits and PowerShell shows the lines as they are.
/// </summary>
public static class TableText
{
    /// <summary>What a line may end with when a word has to break: the joints of keys, ARNs, bucket names and regions (not a comma, which joins the digits of a number).</summary>
    private const string Separators = "/:-_.=";

    /// <summary>
    /// The text in lines of at most <paramref name="width"/> characters. Lines break at spaces and tabs (dropped there;
    /// a tab within a line is shown as one space, since a terminal would widen it past the column); a word wider than
    /// the column breaks after its separators (/ : - _ . =); a run longer than the column with no separator in it breaks
    /// before the last capital that follows a small letter or digit and fits (Ec2Instance|Metadata), and only a run with
    /// none of those either is cut where the column ends, never inside a surrogate pair. Line breaks already in the text
    /// are kept.
    /// </summary>
    public static string Wrap(string? text, int width)
    {
        if (width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "A column is at least one character wide.");
        }
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var lines = new Lines(width);
        foreach (var paragraph in text!.Replace("\r\n", "\n").Split('\n'))
        {
            foreach (var word in paragraph.Split(' ', '\t'))
            {
                if (lines.Fits(word, spaced: true) || word.Length <= width)
                {
                    lines.Add(word, spaced: true);
                    continue;
                }
                var first = true;
                foreach (var part in PartsOf(word))
                {
                    lines.Add(part, spaced: first);
                    first = false;
                }
            }
            lines.EndParagraph();
        }
        return lines.ToString();
    }

    /// <summary>
    /// The text, or its first <paramref name="width"/> - 1 characters and an ellipsis when it is longer: for values with
    /// no separator to break at that are identifiers rather than content (version ids), whose whole is in the record.
    /// </summary>
    public static string Shorten(string? text, int width)
    {
        if (width < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "A shortened value keeps at least one character and the ellipsis.");
        }
        if (text is null)
        {
            return "";
        }
        return text.Length <= width ? text : text.Substring(0, CutAt(text, width - 1)) + "…";
    }

    /// <summary>
    /// How many of the first <paramref name="count"/> characters of <paramref name="text"/> to take without splitting a
    /// surrogate pair: one fewer when the last would be a pair's first half.
    /// </summary>
    private static int CutAt(string text, int count) =>
        count > 0 && count < text.Length && char.IsHighSurrogate(text[count - 1]) && char.IsLowSurrogate(text[count]) ? count - 1 : count;

    /// <summary>
    /// Where to break a run with no separator so that its first line fits <paramref name="width"/>: before the last capital
    /// within the width that follows a small letter or digit (a camel-case hump), or 0 when there is none.
    /// </summary>
    private static int HumpWithin(string run, int width)
    {
        for (var i = Math.Min(width, run.Length - 1); i > 0; i--)
        {
            if (char.IsUpper(run[i]) && (char.IsLower(run[i - 1]) || char.IsDigit(run[i - 1])))
            {
                return i;
            }
        }
        return 0;
    }

    /// <summary>The word in pieces that each end with a separator, but for the last.</summary>
    private static IEnumerable<string> PartsOf(string word)
    {
        var start = 0;
        for (var i = 0; i < word.Length; i++)
        {
            if (Separators.IndexOf(word[i]) >= 0)
            {
                yield return word.Substring(start, i + 1 - start);
                start = i + 1;
            }
        }
        if (start < word.Length)
        {
            yield return word.Substring(start);
        }
    }

    /// <summary>The lines so far and the one being filled.</summary>
    private sealed class Lines
    {
        private readonly int _width;
        private readonly List<string> _done = new();
        private readonly StringBuilder _current = new();

        /// <summary>Whether the current line has any text, or a space from the text, that a next piece follows.</summary>
        private bool _started;

        public Lines(int width) => _width = width;

        public bool Fits(string piece, bool spaced) => _current.Length + (_started && spaced ? 1 : 0) + piece.Length <= _width;

        /// <summary>Adds a piece to the current line, or starts a new line with it: spaced is true when the text has a space before it.</summary>
        public void Add(string piece, bool spaced)
        {
            if (Fits(piece, spaced))
            {
                if (_started && spaced)
                {
                    _current.Append(' ');
                }
                _current.Append(piece);
                _started = true;
                return;
            }
            if (_started)
            {
                NewLine();
            }
            // A run with no separator that is wider than the column: a camel-case hump, or else the column's edge.
            while (piece.Length > _width)
            {
                // A column one character wide still takes a whole pair, so that every cut moves on.
                var cut = HumpWithin(piece, _width) is > 0 and var hump ? hump : CutAt(piece, _width) is > 0 and var taken ? taken : 2;
                if (cut >= piece.Length)
                {
                    break;
                }
                _current.Append(piece, 0, cut);
                NewLine();
                piece = piece.Substring(cut);
            }
            _current.Append(piece);
            _started = true;
        }

        public void EndParagraph() => NewLine();

        private void NewLine()
        {
            _done.Add(_current.ToString());
            _current.Clear();
            _started = false;
        }

        public override string ToString() => string.Join("\n", _done);
    }
}
