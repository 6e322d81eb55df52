using System;
using System.Collections.Generic;

namespace S3Replication.Batch;

/// <summary>Where a Batch Operations job reads its list of objects: a CSV manifest object (Bucket,Key,VersionId).</summary>
internal sealed record BatchManifestLocation(string ObjectArn, string ETag, string? ObjectVersionId);

/// <summary>What CreateJob is asked for: an S3PutObjectCopy job, or an S3ReplicateObject one.</summary>
internal sealed record BatchJobRequest(
    string ClientRequestToken,
    string RoleArn,
    int Priority,
    bool ConfirmationRequired,
    string Description,
    BatchManifestLocation Manifest,
    string ReportBucketArn,
    string ReportPrefix,
    string? CopyTargetBucketArn);

/// <summary>A job as DescribeJob and ListJobs report it (ListJobs gives fewer fields; the rest stay null).</summary>
internal sealed record BatchJob(
    string JobId,
    string Status,
    string? Operation,
    int? Priority,
    string? Description,
    long? TotalTasks,
    long? SucceededTasks,
    long? FailedTasks,
    long? ElapsedSeconds,
    DateTime? CreationTime,
    DateTime? TerminationDate,
    string? ManifestArn,
    string? ReportBucket,
    string? ReportPrefix,
    string? RoleArn,
    IReadOnlyList<string> FailureReasons);
