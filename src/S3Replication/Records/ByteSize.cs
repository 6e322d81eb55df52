using System.Globalization;

namespace S3Replication.Records;

/// <summary>Sizes as people read them (binary units, one decimal): used by the default views and the summaries.</summary>
public static class ByteSize
{
    private static readonly string[] Units = { "KiB", "MiB", "GiB", "TiB", "PiB" };

    public static string Format(long? bytes)
    {
        if (bytes is not { } value)
        {
            return "";
        }
        if (value < 1024)
        {
            return value.ToString(CultureInfo.InvariantCulture) + " B";
        }
        var scaled = (double)value;
        var unit = -1;
        while (scaled >= 1024 && unit < Units.Length - 1)
        {
            scaled /= 1024;
            unit++;
        }
        return scaled.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
