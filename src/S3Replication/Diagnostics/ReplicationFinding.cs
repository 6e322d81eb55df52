using System.Text.RegularExpressions;
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

/// <summary>Hints as commands that run where they are pasted.</summary>
internal static class ReplicationHints
{
    // A module command up to the end of its pipeline segment, its sentence (". ") or the hint.
    private static readonly Regex ModuleCommand = new(
        @"\b(?:Add-BackupRoleTrustPrincipal|Get-S3BackupReplicationRule|Set-S3BackupReplicationRule|New-S3BackupReplicationRule|Start-S3BackupBatchReplication|Test-S3BackupReplication)\b[^|]*?(?=\s*\||\.\s|$)",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// Each module command in <paramref name="hint"/> with <c>-ProfileName</c>: a check run with -ProfileName or -Session
    /// read with that profile, and its fix pasted into a session connected otherwise would act as someone else.
    /// </summary>
    public static string WithProfile(string hint, string profile) =>
        ModuleCommand.Replace(hint, command => $"{command.Value} -ProfileName {profile}");
}
