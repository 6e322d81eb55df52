using System.Text.RegularExpressions;

namespace S3Replication.Session;

/// <summary>Shapes of the identifiers users type, checked before anything is sent or written.</summary>
internal static class AwsNames
{
    // The account is 12 digits on AWS; S3-compatible servers such as Ceph RGW issue ARNs with an empty account.
    private static readonly Regex RoleArnPattern =
        new(@"^arn:aws(-[a-z]+)*:iam::(\d{12})?:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$", RegexOptions.CultureInvariant);
    private static readonly Regex ProfileNamePattern = new(@"^[^\s\[\]#;=]{1,128}$", RegexOptions.CultureInvariant);
    private static readonly Regex RoleSessionNamePattern = new(@"^[\w+=,.@-]{2,64}$", RegexOptions.CultureInvariant);
    private static readonly Regex ExternalIdPattern = new(@"^[\w+=,.@:/-]{2,1224}$", RegexOptions.CultureInvariant);
    private static readonly Regex MfaSerialPattern =
        new(@"^(arn:aws(-[a-z]+)*:iam::(\d{12})?:mfa/[\w+=,.@/-]+|[\w+=/:,.@-]{9,256})$", RegexOptions.CultureInvariant);
    private static readonly Regex RegionPattern = new(@"^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant);

    // S3's general-purpose bucket naming rules: 3-63 characters, lower case, digits, dots and hyphens, starting and
    // ending with a letter or digit, no "..", not shaped like an IP address.
    private static readonly Regex BucketNamePattern = new(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant);
    private static readonly Regex IpAddressPattern = new(@"^\d+\.\d+\.\d+\.\d+$", RegexOptions.CultureInvariant);

    public static bool IsBucketName(string value) =>
        BucketNamePattern.IsMatch(value) && !value.Contains("..") && !value.Contains(".-") && !value.Contains("-.") && !IpAddressPattern.IsMatch(value);

    public const int MinRoleDurationSeconds = 900;
    public const int MaxRoleDurationSeconds = 43200;

    public static bool IsRoleArn(string value) => RoleArnPattern.IsMatch(value);
    public static bool IsProfileName(string value) => ProfileNamePattern.IsMatch(value);
    public static bool IsRoleSessionName(string value) => RoleSessionNamePattern.IsMatch(value);
    public static bool IsExternalId(string value) => ExternalIdPattern.IsMatch(value);
    public static bool IsMfaSerial(string value) => MfaSerialPattern.IsMatch(value);
    public static bool IsRegion(string value) => value.Length <= 50 && RegionPattern.IsMatch(value);
    public static bool IsRoleDuration(int seconds) => seconds is >= MinRoleDurationSeconds and <= MaxRoleDurationSeconds;

    public static bool IsEndpointUrl(string value) =>
        System.Uri.TryCreate(value, System.UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;

    /// <summary>The partition a region is in, as ARNs name it: aws-cn (cn-…), aws-us-gov (us-gov-…) or aws.</summary>
    public static string PartitionOf(string region) =>
        region.StartsWith("cn-", System.StringComparison.Ordinal) ? "aws-cn"
        : region.StartsWith("us-gov-", System.StringComparison.Ordinal) ? "aws-us-gov"
        : "aws";

    /// <summary>The account of an ARN (<c>arn:partition:service:region:account:resource</c>), or null when empty.</summary>
    public static string? AccountOf(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length >= 6 && parts[4].Length > 0 ? parts[4] : null;
    }
}
