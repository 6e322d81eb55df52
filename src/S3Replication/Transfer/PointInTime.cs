using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;
using S3Replication.Core;

namespace S3Replication.Transfer;

/// <summary>
/// Reads a moment typed as text the way an operator means it, or refuses it. PowerShell's own conversion reads
/// "02/12/2026" in the invariant culture's month-first order, which restores the wrong day without a word; here
/// ISO 8601 is taken as written (a zone or Z where given, else local time), month names are read in English, and
/// day/month/year numbers are taken only where they cannot be read two ways.
/// </summary>
internal static class PointInTime
{
    private static readonly Regex Iso = new(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant);
    private static readonly Regex Numeric = new(@"^(?<a>\d{1,2})[./-](?<b>\d{1,2})[./-](?<year>\d{4})(?<time>[ T].+)?$", RegexOptions.CultureInvariant);

    public static DateTime Parse(string text)
    {
        var value = text.Trim();
        if (Iso.IsMatch(value))
        {
            return ParseInvariant(value, text);
        }
        var numeric = Numeric.Match(value);
        if (numeric.Success)
        {
            var (a, b) = (int.Parse(numeric.Groups["a"].Value, CultureInfo.InvariantCulture), int.Parse(numeric.Groups["b"].Value, CultureInfo.InvariantCulture));
            if (a <= 12 && b <= 12 && a != b)
            {
                throw Ambiguous(text, $"{numeric.Groups["year"].Value}-{b:D2}-{a:D2}", $"{numeric.Groups["year"].Value}-{a:D2}-{b:D2}");
            }
            // One of them is over 12, so it is the day; or both are the same, so the order does not matter.
            var (day, month) = a > 12 ? (a, b) : (b, a);
            return ParseInvariant($"{numeric.Groups["year"].Value}-{month:D2}-{day:D2}{numeric.Groups["time"].Value}", text);
        }
        if (Regex.IsMatch(value, "[A-Za-z]{3,}"))
        {
            return ParseInvariant(value, text);
        }
        throw Unreadable(text);
    }

    private static DateTime ParseInvariant(string value, string original)
    {
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeLocal, out var moment))
        {
            return HasZone(value) ? moment.UtcDateTime : moment.LocalDateTime;
        }
        throw Unreadable(original);
    }

    private static bool HasZone(string value) => Regex.IsMatch(value, @"(Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$", RegexOptions.IgnoreCase);

    /// <summary>"2026-12-02T00:04:15Z (local 2026-12-02 01:04:15 +01:00)": the instant, unmistakably.</summary>
    public static string Describe(DateTime moment)
    {
        var utc = moment.ToUniversalTime();
        var local = new DateTimeOffset(utc).ToLocalTime();
        return string.Format(CultureInfo.InvariantCulture, "{0:yyyy-MM-ddTHH:mm:ss}Z (local {1:yyyy-MM-dd HH:mm:ss zzz})", utc, local);
    }

    private static S3BackupException Ambiguous(string text, string dayFirst, string monthFirst) =>
        new(ErrorId.AmbiguousDate, ErrorCategory.InvalidArgument,
            $"'{text}' can be read as {dayFirst} or as {monthFirst}. Write the moment as ISO 8601, e.g. {dayFirst}T00:00:00 (local time) or " +
            $"{dayFirst}T00:00:00Z (UTC), or pass a [DateTime] such as (Get-Date).AddDays(-1). Nothing was done.", text);

    private static S3BackupException Unreadable(string text) =>
        new(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
            $"'{text}' is not a moment this module reads: write ISO 8601 (2026-12-02T00:04:15, with Z or +01:00 for a zone), " +
            "a date with a month name (2 Dec 2026 00:04), or pass a [DateTime]. Nothing was done.", text);
}

/// <summary>
/// Lets -AsOf take text through <see cref="PointInTime.Parse"/> instead of PowerShell's month-first reading. Public so
/// that runbook scripts read their own dates the same way: <c>param([S3Replication.Transfer.PointInTime()] [datetime] $From)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PointInTimeAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return value switch
            {
                null or DateTime => value,
                DateTimeOffset offset => offset.UtcDateTime,
                string text => PointInTime.Parse(text),
                // PowerShell would make a number into that many ticks after year 1, without a word.
                _ => throw new ArgumentTransformationMetadataException(
                    $"A moment is a [DateTime] or text such as 2026-12-02T00:04:15Z or '2 Dec 2026 00:04', not the {value.GetType().Name} '{value}'. Nothing was done."),
            };
        }
        catch (S3BackupException refused)
        {
            throw new ArgumentTransformationMetadataException(refused.Message, refused);
        }
    }
}
