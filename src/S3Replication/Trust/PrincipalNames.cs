using System.Text.RegularExpressions;

namespace S3Replication.Trust;

internal enum PrincipalKind { Invalid, User, Role, AssumedRole, AccountRoot, AccountId, Everyone, Service }

/// <summary>Shapes of the principals an operator names, checked before any call.</summary>
internal static class PrincipalNames
{
    // ARNs may have an empty account on S3-compatible servers (Ceph RGW); AWS always has 12 digits.
    private const string Partition = @"arn:aws(-[a-z]+)*";
    private const string Name = @"[\w+=,.@-]{1,64}";
    private static readonly Regex UserOrRole = new($@"^{Partition}:iam::(\d{{12}})?:(user|role)/([\w+=,.@-]+/)*{Name}$", RegexOptions.CultureInvariant);
    private static readonly Regex AssumedRole = new($@"^{Partition}:sts::(\d{{12}})?:assumed-role/{Name}/[\w+=,.@-]{{2,64}}$", RegexOptions.CultureInvariant);
    private static readonly Regex Root = new($@"^{Partition}:iam::\d{{12}}:root$", RegexOptions.CultureInvariant);
    private static readonly Regex Account = new(@"^\d{12}$", RegexOptions.CultureInvariant);
    private static readonly Regex ServicePrincipal = new(@"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$", RegexOptions.CultureInvariant);
    private static readonly Regex UniqueId = new(@"^A[A-Z0-9]{3}[A-Z0-9]{12,124}$", RegexOptions.CultureInvariant);
    private static readonly Regex RoleName = new($@"^{Name}$", RegexOptions.CultureInvariant);

    public static PrincipalKind Classify(string principal)
    {
        if (principal == "*")
        {
            return PrincipalKind.Everyone;
        }
        if (UserOrRole.Match(principal) is { Success: true } match)
        {
            return match.Groups[3].Value == "user" ? PrincipalKind.User : PrincipalKind.Role;
        }
        if (AssumedRole.IsMatch(principal))
        {
            return PrincipalKind.AssumedRole;
        }
        if (Root.IsMatch(principal))
        {
            return PrincipalKind.AccountRoot;
        }
        if (Account.IsMatch(principal))
        {
            return PrincipalKind.AccountId;
        }
        return ServicePrincipal.IsMatch(principal) ? PrincipalKind.Service : PrincipalKind.Invalid;
    }

    /// <summary>Everyone, or every identity of an account: such principals are only added on purpose (-Force).</summary>
    public static bool IsBroad(PrincipalKind kind) => kind is PrincipalKind.Everyone or PrincipalKind.AccountRoot or PrincipalKind.AccountId;

    public static bool IsRoleName(string name) => RoleName.IsMatch(name);

    /// <summary>IAM shows a deleted user or role in a policy as its unique id, such as AIDA… or AROA….</summary>
    public static bool IsUniqueId(string value) => UniqueId.IsMatch(value);

    /// <summary>arn:aws:sts::123:assumed-role/Role/session → arn:aws:iam::123:role/Role: sessions come and go, the role stays.</summary>
    public static string RoleOfSession(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length != 6 || parts[2] != "sts" || !parts[5].StartsWith("assumed-role/", System.StringComparison.Ordinal))
        {
            return arn;
        }
        var role = parts[5].Split('/')[1];
        return $"arn:{parts[1]}:iam::{parts[4]}:role/{role}";
    }
}
