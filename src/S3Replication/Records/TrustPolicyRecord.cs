using System.Collections.Generic;

namespace S3Replication.Records;

/// <summary>One principal of a role's trust policy.</summary>
public sealed class TrustPrincipalRecord
{
    public string RoleName { get; set; } = "";

    /// <summary>An ARN, an account id, "*", or a service such as s3.amazonaws.com.</summary>
    public string Principal { get; set; } = "";

    /// <summary>AWS, Service, Federated, CanonicalUser, or * for a bare "Principal": "*".</summary>
    public string Type { get; set; } = "";

    public string Effect { get; set; } = "";
    public string? Sid { get; set; }
    public int StatementIndex { get; set; }
    public string Actions { get; set; } = "";
    public bool HasCondition { get; set; }
    public bool IsNotPrincipal { get; set; }

    /// <summary>A unique id (AIDA…, AROA…) where IAM no longer shows an ARN: the user or role was deleted.</summary>
    public bool IsOrphaned { get; set; }

    public override string ToString() => $"{RoleName}: {Type} {Principal}" + (IsOrphaned ? " (orphaned)" : "");
}

/// <summary>A role's trust policy: the document as IAM stores it and its principals.</summary>
public sealed class TrustPolicyRecord
{
    public string RoleName { get; set; } = "";
    public string RoleArn { get; set; } = "";
    public int StatementCount { get; set; }
    public List<TrustPrincipalRecord> Principals { get; set; } = new();

    /// <summary>Characters counted against IAM's trust-policy quota (white space is not counted).</summary>
    public int Size { get; set; }

    public string Document { get; set; } = "";

    public override string ToString() => $"{RoleName}: {Principals.Count} principal(s) in {StatementCount} statement(s)";
}

/// <summary>What Add-/Remove-BackupRoleTrustPrincipal did: Added, AlreadyTrusted, Removed or NotTrusted.</summary>
public sealed class TrustChangeRecord
{
    public string RoleName { get; set; } = "";
    public string Principal { get; set; } = "";
    public string Result { get; set; } = "";

    /// <summary>True once the caller assumed the role with the new trust (-Wait).</summary>
    public bool? Verified { get; set; }

    public override string ToString() => $"{RoleName}: {Principal} {Result}";
}
