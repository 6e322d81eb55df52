using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Pipeline;

/// <summary>The closing sentence, the summary record and the progress bar of a long run.</summary>
public class ProgressTests
{
    private static Tally Restore() => new("objects", "copied");

    [Fact]
    public void The_sentence_names_the_main_outcomes_always_and_the_others_only_when_they_happened()
    {
        var tally = Restore();
        tally.Add(ItemOutcome.Done, 14336);
        tally.Add(ItemOutcome.Skipped);
        Assert.Matches(@"^1 copied \(14\.0 KiB, [\d,]+ objects/s\), 1 skipped, 0 failed in \d+\.\d s$", tally.Summary());
        tally.Add(ItemOutcome.NeedsRestore);
        Assert.Contains(", 0 failed, 1 need restore from archive in ", tally.Summary());
        Assert.DoesNotContain("would be copied", tally.Summary());
    }

    [Fact]
    public void A_preview_says_what_it_would_do_without_a_zero_rate_and_a_run_without_bytes_shows_no_size()
    {
        var preview = Restore();
        preview.Add(ItemOutcome.Would);
        preview.Add(ItemOutcome.Skipped);
        Assert.Matches(@"^1 skipped, 0 failed, 1 would be copied in \d+\.\d s$", preview.Summary());
        var nothing = Restore();
        Assert.Matches(@"^0 copied, 0 skipped, 0 failed in ", nothing.Summary());
        var compare = new Tally("objects", "compared");
        compare.Add(ItemOutcome.Done);
        Assert.Matches(@"^1 compared \([\d,]+ objects/s\), ", compare.Summary());
    }

    [Fact]
    public void The_record_carries_the_counts_bytes_and_the_sentence()
    {
        var tally = Restore();
        for (var index = 0; index < 3; index++)
        {
            tally.Add(ItemOutcome.Done, 1024);
        }
        tally.Add(ItemOutcome.Failed);
        tally.Add(ItemOutcome.Would);
        var summary = tally.ToSummary("Restore", "s3://sds-data-dev", stopped: true);
        Assert.Equal((5L, 3L, 0L, 1L, 1L, 0L, 3072L), (summary.Total, summary.Transferred, summary.Skipped, summary.Failed, summary.WouldTransfer, summary.NeedsRestore, summary.Bytes));
        Assert.True(summary.Stopped);
        Assert.StartsWith("Restore to s3://sds-data-dev (stopped early): 3 copied (3.0 KiB, ", summary.Text);
    }

    [Fact]
    public void Progress_has_no_share_or_time_left_until_the_total_is_known()
    {
        var progress = new ProgressReporter("Restore", Restore());
        progress.Tally.Add(ItemOutcome.Done);
        var listing = progress.Current();
        Assert.Equal(-1, listing.PercentComplete);
        Assert.Equal(-1, listing.SecondsRemaining);
        Assert.StartsWith("1 copied", listing.StatusDescription);
    }

    [Fact]
    public void Progress_shows_how_many_of_how_many_the_share_and_the_time_left_once_the_total_is_known()
    {
        var progress = new ProgressReporter("Restore", Restore());
        for (var index = 0; index < 25; index++)
        {
            progress.Tally.Add(index % 5 == 0 ? ItemOutcome.Skipped : ItemOutcome.Done, 10);
        }
        System.Threading.Thread.Sleep(20);
        progress.Tally.SetExpected(100);
        var record = progress.Current();
        Assert.Equal(25, record.PercentComplete);
        Assert.StartsWith("25 of 100 objects: 20 copied", record.StatusDescription);
        // 75 left at the rate so far: three times the time the first 25 took.
        Assert.InRange(record.SecondsRemaining, 1, 5);
        Assert.Equal(ProgressRecordType.Completed, progress.Completed().RecordType);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(14336L, "14.0 KiB")]
    [InlineData(5L * 1024 * 1024 * 1024 + 1, "5.0 GiB")]
    public void Sizes_read_in_binary_units(long bytes, string shown) => Assert.Equal(shown, ByteSize.Format(bytes));
}
