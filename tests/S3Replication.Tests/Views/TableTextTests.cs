using System;
using System.Linq;
using CsCheck;
using S3Replication.Records;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Views;

public class TableTextTests
{
    [Theory]
    [InlineData("imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250107_v001.cdf", 38,
        "imap/mag/l1a/2025/01/imap_mag_l1a_\nnorm-mago_20250107_v001.cdf")]
    [InlineData("arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole", 24,
        "arn:aws:iam::\n123456789012:role/\nSdsDataManager-dev-\nBackupRole")]
    [InlineData("s3://sds-data-dev-backup", 16, "s3://sds-data-\ndev-backup")]
    [InlineData("1,234,000/1,234,567", 14, "1,234,000/\n1,234,567")]
    public void Breaks_a_token_after_its_separators(string text, int width, string expected) =>
        Assert.Equal(expected, TableText.Wrap(text, width));

    [Fact]
    public void Breaks_sentences_at_spaces_and_keeps_a_word_that_fits_whole()
    {
        var hint = "AccessDenied: The identity needs s3:PutObject on arn:aws:s3:::sds-data-dev/* (allow it in the IAM policy).";
        Assert.Equal(
            "AccessDenied: The identity needs\ns3:PutObject on\narn:aws:s3:::sds-data-dev/* (allow\nit in the IAM policy).",
            TableText.Wrap(hint, 34));
    }

    [Fact]
    public void Keeps_short_text_and_the_line_breaks_in_it()
    {
        Assert.Equal("Restore", TableText.Wrap("Restore", 9));
        Assert.Equal("a\n\nb c", TableText.Wrap("a\r\n\nb c", 9));
        Assert.Equal("", TableText.Wrap(null, 9));
    }

    [Theory]
    // A run with no separator breaks before its last camel-case hump that fits, and only a run with none is cut at the column's edge.
    [InlineData("Ec2InstanceMetadata", 13, "Ec2Instance\nMetadata")]
    [InlineData("Ec2InstanceMetadata", 9, "Ec2\nInstance\nMetadata")]
    [InlineData("S3Replication", 12, "S3\nReplication")]
    [InlineData("S3Replication", 5, "S3\nRepli\ncatio\nn")]
    [InlineData("s3replication", 5, "s3rep\nlicat\nion")]
    // A tab is a break point, and within a line shows as one space (a terminal would widen it past the column).
    [InlineData("Bucket\tsds-data-dev", 12, "Bucket\nsds-data-dev")]
    [InlineData("a\tb", 12, "a b")]
    // U+1F600 is two UTF-16 characters: a cut between them would leave half a character on each line.
    [InlineData("abcd\U0001F600ef", 5, "abcd\n\U0001F600ef")]
    [InlineData("\U0001F600ab", 1, "\U0001F600\na\nb")]
    public void Breaks_a_run_at_a_hump_a_tab_or_the_edge_but_never_inside_a_surrogate_pair(string text, int width, string expected) =>
        Assert.Equal(expected, TableText.Wrap(text, width));

    [Fact]
    public void Any_text_fits_its_column_and_reads_back_whole()
    {
        var pieces = Gen.OneOf(Gen.String[Gen.Char["a-zA-Z0-9"], 1, 14], Pick("/", ":", "-", "_", ".", "=", ",", " ", "::", "\n", "\t", "\U0001F600"));
        Gen.Select(pieces.Array[0, 30], Gen.Int[1, 40]).Sample((parts, width) =>
        {
            var text = string.Concat(parts);
            var lines = TableText.Wrap(text, width).Split('\n');
            // Every line fits (a column one character wide takes a surrogate pair whole); the text comes back when each
            // break is undone: a break after a separator joins the lines directly, any other break stood for a space or
            // tab (or a cut at the column's edge of a longer run, one short of it before a surrogate pair); no line
            // starts or ends inside a pair.
            return lines.All(line => line.Length <= width || line == "\U0001F600")
                && lines.All(line => line.Length == 0 || (!char.IsLowSurrogate(line[0]) && !char.IsHighSurrogate(line[^1])))
                && ReadsBack(text.Replace('\t', ' '), lines, width);
        }, iter: 5000);
    }

    [Fact]
    public void Shortens_only_what_is_longer_than_its_column()
    {
        Assert.Equal("4I5CdbTlRRM…", TableText.Shorten("4I5CdbTlRRMJfFHQ7Wbc7T5dvDDrHK.", 12));
        Assert.Equal("null", TableText.Shorten("null", 12));
        Assert.Equal("", TableText.Shorten(null, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => TableText.Shorten("x", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TableText.Wrap("x", 0));
        Assert.Equal("…", TableText.Shorten("\U0001F600abc", 2));
        Assert.Equal("abc…", TableText.Shorten("abc\U0001F600def", 5));
        Assert.Equal("abcd…", TableText.Shorten("abcd\U0001F600def", 6));
    }

    /// <summary>Whether the lines are the text with line breaks put in at allowed places only.</summary>
    private static bool ReadsBack(string text, string[] lines, int width)
    {
        var position = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.CompareOrdinal(text, position, lines[i], 0, lines[i].Length) != 0)
            {
                return false;
            }
            position += lines[i].Length;
            if (i == lines.Length - 1)
            {
                break;
            }
            var atSpaceOrBreak = position < text.Length && text[position] is ' ' or '\n';
            var afterSeparator = lines[i].Length > 0 && "/:-_.=".IndexOf(lines[i][^1]) >= 0;
            var atHump = lines[i].Length > 0 && position < text.Length && char.IsUpper(text[position])
                && (char.IsLower(lines[i][^1]) || char.IsDigit(lines[i][^1]));
            var atColumnEdge = atHump || lines[i].Length == width
                || (lines[i].Length == width - 1 && position + 1 < text.Length && char.IsSurrogatePair(text[position], text[position + 1]))
                || (width == 1 && lines[i].Length == 2 && char.IsSurrogatePair(lines[i][0], lines[i][1]));
            if (atSpaceOrBreak)
            {
                position++;
            }
            else if (!afterSeparator && !atColumnEdge)
            {
                return false;
            }
        }
        return position == text.Length;
    }
}
