using S3Replication.Records;

namespace S3Replication.Diagnostics;

/// <summary>ReplicationCheckRecord.Outcome's names.</summary>
internal enum FindingOutcome
{
    Passed,
    Failed,

    /// <summary>Works, but not as a backup would want, or only partly (a prefix rule, old PENDING objects).</summary>
    Warning,

    /// <summary>Found, but it depends on what cannot be decided from here (a policy Condition).</summary>
    NotEvaluated,

    /// <summary>Not checked: nothing to check it on, or it needs what was not given (-BackupSession, a role).</summary>
    Skipped,

    /// <summary>Could not be read (refused, or the service failed): neither passed nor failed.</summary>
    Error,
}

/// <summary>One finding as the checks work with it (its outcome typed); <see cref="ToRecord"/> is what Test-S3BackupReplication writes.</summary>
internal sealed record ReplicationFinding(string Check, string Target, FindingOutcome Outcome, string? Detail = null, string? Hint = null)
{
    /// <summary>What makes -Quiet answer $false: a failure, or a check that could not be read.</summary>
    public bool IsProblem => Outcome is FindingOutcome.Failed or FindingOutcome.Error;

    public ReplicationCheckRecord ToRecord(string sourceBucket, string? backupBucket) => new()
    {
        SourceBucket = sourceBucket, BackupBucket = backupBucket, Check = Check, Target = Target, Outcome = Outcome.ToString(), Detail = Detail, Hint = Hint,
    };
}
