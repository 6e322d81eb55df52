using System;
using System.Globalization;
using System.Management.Automation;

namespace S3Replication.Transfer;

/// <summary>
/// Lets a -Timeout (or another duration) take a [TimeSpan] or text such as 00:05:00 or 5m, and refuses a bare number,
/// which PowerShell would make into that many ticks (-Timeout 300 would be 30 microseconds: a wait that ends at once).
/// A duration under one second is refused too: no wait of this module is meant to be that short.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        var duration = value switch
        {
            null => (TimeSpan?)null,
            TimeSpan span => span,
            string text => Parse(text),
            _ => throw Refused($"not the {value.GetType().Name} '{value}'"),
        };
        return duration is { } given && given < TimeSpan.FromSeconds(1) ? throw Refused($"'{given}' is shorter than a second") : duration;
    }

    /// <summary>[TimeSpan] text (00:05:00, 1.00:00:00) or a number with a unit: 90s, 5m, 2h.</summary>
    private static TimeSpan Parse(string text)
    {
        var trimmed = text.Trim();
        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) && trimmed.Contains(":"))
        {
            return span;
        }
        if (trimmed.Length > 1 && double.TryParse(trimmed.Substring(0, trimmed.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            switch (char.ToLowerInvariant(trimmed[trimmed.Length - 1]))
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
            }
        }
        throw Refused($"not '{text}'");
    }

    private static ArgumentTransformationMetadataException Refused(string what) =>
        new($"A duration is a [TimeSpan] or text such as 00:05:00, 90s, 5m or 2h, of at least one second; {what}. Nothing was done.");
}
