namespace S3Replication.Records;

/// <summary>
/// One finding of Test-S3BackupReplication: what was checked (Check) on what (Target), whether it Passed, Failed,
/// needs a look (Warning), could not be decided from here (NotEvaluated, Skipped) or could not be read (Error), what
/// was found (Detail), and for anything but Passed a Hint naming the fix.
/// </summary>
public sealed class ReplicationCheckRecord
{
    public string SourceBucket { get; set; } = "";

    /// <summary>The backup bucket the rule replicates to, where known.</summary>
    public string? BackupBucket { get; set; }

    /// <summary>Rule, Versioning, Trust, RolePolicy, BucketPolicy, Ownership, Encryption, Sample or Canary.</summary>
    public string Check { get; set; } = "";

    /// <summary>What the check looked at: a rule, a bucket, a role ARN, an action on a resource, a canary key.</summary>
    public string Target { get; set; } = "";

    /// <summary>Passed, Failed, Warning, NotEvaluated, Skipped or Error.</summary>
    public string Outcome { get; set; } = "";

    public string? Detail { get; set; }

    /// <summary>The fix: the command, policy statement or setting that makes the finding pass.</summary>
    public string? Hint { get; set; }

    public override string ToString() =>
        $"{Outcome} {Check} {Target}" + (Detail is null ? "" : $": {Detail}") + (Hint is null ? "" : $" ({Hint})");
}
