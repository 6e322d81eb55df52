using System;
using System.Management.Automation;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Commands;

/// <summary>-Timeout and -PendingThreshold: a [TimeSpan] or text with a unit, never a bare number (PowerShell would make it ticks).</summary>
public class DurationAttributeTests
{
    private static object? Transform(object? input) => new DurationAttribute().Transform(null!, input);

    [Theory]
    [InlineData("00:05:00", 300)]
    [InlineData("1.00:00:00", 86400)]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData(" 2h ", 7200)]
    [InlineData("1.5m", 90)]
    public void Text_with_colons_or_a_unit_is_a_duration(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Transform(text));

    [Fact]
    public void A_timespan_passes_as_it_is_wrapped_or_not() =>
        Assert.Equal(TimeSpan.FromMinutes(5), Transform(new PSObject(TimeSpan.FromMinutes(5))));

    [Theory]
    [InlineData(300)]
    [InlineData(300L)]
    [InlineData(2.5)]
    [InlineData("300")]
    [InlineData("5 minutes")]
    [InlineData("00:00:00.5")]
    [InlineData("0s")]
    public void Numbers_unknown_units_and_less_than_a_second_are_refused_saying_what_to_write(object input)
    {
        var refused = Assert.Throws<ArgumentTransformationMetadataException>(() => Transform(input));
        Assert.StartsWith("A duration is a [TimeSpan] or text such as 00:05:00, 90s, 5m or 2h, of at least one second;", refused.Message);
        Assert.EndsWith("Nothing was done.", refused.Message);
    }
}
