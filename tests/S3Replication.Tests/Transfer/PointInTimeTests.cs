using System;
using S3Replication.Core;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

public class PointInTimeTests
{
    [Theory]
    [InlineData("2026-12-02T00:04:15Z", "2026-12-02T00:04:15Z")]
    [InlineData("2026-12-02T01:04:15+01:00", "2026-12-02T00:04:15Z")]
    [InlineData("2026-12-02 00:04:15Z", "2026-12-02T00:04:15Z")]
    [InlineData("13/12/2026 00:04:15 +00:00", "2026-12-13T00:04:15Z")]
    [InlineData("12/13/2026 00:04:15Z", "2026-12-13T00:04:15Z")]
    [InlineData("2 Dec 2026 00:04:15 GMT", "2026-12-02T00:04:15Z")]
    [InlineData("December 2, 2026 00:04:15Z", "2026-12-02T00:04:15Z")]
    [InlineData("05/05/2026 10:00Z", "2026-05-05T10:00:00Z")]
    public void Reads_ISO_8601_month_names_and_unambiguous_numbers(string text, string expectedUtc)
    {
        Assert.Equal(DateTime.Parse(expectedUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal), PointInTime.Parse(text).ToUniversalTime());
    }

    [Fact]
    public void A_moment_without_a_zone_is_local_time()
    {
        var parsed = PointInTime.Parse("2026-12-02T00:04:15");
        Assert.Equal(DateTimeKind.Local, parsed.Kind);
        Assert.Equal(new DateTime(2026, 12, 2, 0, 4, 15, DateTimeKind.Local), parsed);
    }

    [Theory]
    [InlineData("02/12/2026 00:04:15")]
    [InlineData("2.12.2026")]
    [InlineData("11-10-2025")]
    public void Refuses_day_and_month_that_can_be_read_either_way(string text)
    {
        var refused = Assert.Throws<S3BackupException>(() => PointInTime.Parse(text));
        Assert.Equal(ErrorId.AmbiguousDate, refused.ErrorId);
        Assert.Contains("ISO 8601", refused.Message);
    }

    [Theory]
    [InlineData("yesterday-ish")]
    [InlineData("2026-13-45")]
    [InlineData("12345")]
    public void Refuses_what_it_cannot_read_with_the_forms_it_takes(string text)
    {
        Assert.Equal(ErrorId.InvalidArgument, Assert.Throws<S3BackupException>(() => PointInTime.Parse(text)).ErrorId);
    }

    [Fact]
    public void Describes_the_instant_in_UTC_and_local_time()
    {
        var described = PointInTime.Describe(new DateTime(2026, 12, 2, 0, 4, 15, DateTimeKind.Utc));
        Assert.StartsWith("2026-12-02T00:04:15Z (local ", described);
        Assert.Matches(@"[+-]\d{2}:\d{2}\)$", described);
    }

    [Fact]
    public void The_parameter_attribute_reads_text_keeps_moments_and_refuses_numbers_PowerShell_would_take_for_ticks()
    {
        var attribute = new PointInTimeAttribute();
        var instant = new DateTime(2026, 12, 2, 0, 4, 15, DateTimeKind.Utc);
        Assert.Equal(instant, attribute.Transform(null!, "2026-12-02T00:04:15Z"));
        Assert.Equal(instant, attribute.Transform(null!, new System.Management.Automation.PSObject(instant)));
        Assert.Equal(instant, attribute.Transform(null!, new DateTimeOffset(2026, 12, 2, 1, 4, 15, TimeSpan.FromHours(1))));
        Assert.Null(attribute.Transform(null!, null));
        var number = Assert.Throws<System.Management.Automation.ArgumentTransformationMetadataException>(() => attribute.Transform(null!, 7));
        Assert.Contains("not the Int32 '7'", number.Message);
        var ambiguous = Assert.Throws<System.Management.Automation.ArgumentTransformationMetadataException>(() => attribute.Transform(null!, "01/03/2025"));
        Assert.Contains("can be read as 2025-03-01 or as 2025-01-03", ambiguous.Message);
    }
}
