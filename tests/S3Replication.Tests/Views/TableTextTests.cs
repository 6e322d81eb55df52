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

    [Fact]
    public void Cuts_at_the_column_edge_only_a_run_with_no_separator()
    {
        Assert.Equal("S3Rep\nlicat\nion", TableText.Wrap("S3Replication", 5));
    }

    [Fact]
    public void Any_text_fits_its_column_and_reads_back_whole()
    {
        var pieces = Gen.OneOf(Gen.String[Gen.Char["a-z0-9"], 1, 14], Pick("/", ":", "-", "_", ".", "=", ",", " ", "::", "\n"));
        Gen.Select(pieces.Array[0, 30], Gen.Int[1, 40]).Sample((parts, width) =>
        {
            var text = string.Concat(parts);
            var lines = TableText.Wrap(text, width).Split('\n');
            // Every line fits; the text comes back when each break is undone: a break after a separator joins the
            // lines directly, any other break stood for a space (or a cut at the column's edge of a longer run).
            return lines.All(line => line.Length <= width) && ReadsBack(text, lines, width);
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
            var atColumnEdge = lines[i].Length == width;
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
