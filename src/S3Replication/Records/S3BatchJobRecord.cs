using System;
using System.Collections.Generic;

namespace S3Replication.Records;

/// <summary>
/// One S3 Batch Operations job. Carries its account and region, so piping it to the other job cmdlets needs neither
/// -AccountId nor -Region; binds to them by property name (JobId, AccountId, Region).
/// </summary>
public sealed class S3BatchJobRecord
{
    public string JobId { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";

    /// <summary>S3PutObjectCopy or S3ReplicateObject.</summary>
    public string? Operation { get; set; }

    /// <summary>New, Preparing, Suspended (awaiting confirmation), Ready, Active, Pausing, Paused, Complete, Cancelling, Cancelled, Failing, Failed.</summary>
    public string Status { get; set; } = "";

    public int? Priority { get; set; }
    public string? Description { get; set; }
    public long? TotalTasks { get; set; }
    public long? SucceededTasks { get; set; }
    public long? FailedTasks { get; set; }
    public TimeSpan? Elapsed { get; set; }
    public DateTime? CreationTime { get; set; }
    public DateTime? TerminationDate { get; set; }

    /// <summary>The manifest object's ARN.</summary>
    public string? Manifest { get; set; }

    /// <summary>Where the completion report goes: bucket ARN and prefix.</summary>
    public string? ReportBucket { get; set; }
    public string? ReportPrefix { get; set; }

    public string? RoleArn { get; set; }
    public List<string> FailureReasons { get; set; } = new();

    /// <summary>The objects the manifest lists, when Start-S3BackupBatchRestore wrote it: Approve-S3BackupBatchJob checks the job's task count against it.</summary>
    public long? ExpectedTasks { get; set; }

    /// <summary>Whether the job has ended (Complete, Cancelled or Failed).</summary>
    public bool IsFinished => Status is "Complete" or "Cancelled" or "Failed";

    public override string ToString() => $"{JobId} ({Status})";
}

/// <summary>
/// One task of a job's completion report. A backup object (Bucket, Key, VersionId), so failed tasks pipe straight into
/// Sync-S3BackupToSource to be retried locally.
/// </summary>
public sealed class S3BatchTaskRecord : S3ObjectRecord
{
    public string JobId { get; set; } = "";

    /// <summary>succeeded or failed.</summary>
    public string TaskStatus { get; set; } = "";
    public string? HttpStatusCode { get; set; }
    public string? ErrorCode { get; set; }
    public string? ResultMessage { get; set; }

    public override string ToString() => $"{TaskStatus} {Key}";
}
