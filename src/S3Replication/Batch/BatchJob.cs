using System;
using System.Collections.Generic;

namespace S3Replication.Batch;

/// <summary>Where a Batch Operations job reads its list of objects: a CSV manifest object with these columns.</summary>
internal sealed record BatchManifestLocation(string ObjectArn, string ETag, string? ObjectVersionId, IReadOnlyList<string> Fields)
{
    public static readonly IReadOnlyList<string> Versioned = new[] { "Bucket", "Key", "VersionId" };
    public static readonly IReadOnlyList<string> Latest = new[] { "Bucket", "Key" };
}

/// <summary>
/// The list S3 makes itself (S3JobManifestGenerator) for a Batch Replication backfill: the source bucket's objects
/// that its replication rules cover, filtered by replication status, creation time and prefix.
/// </summary>
internal sealed record BatchManifestGenerator(string SourceBucketArn, string ExpectedBucketOwner, IReadOnlyList<string> ReplicationStatuses,
    DateTime? CreatedAfter, DateTime? CreatedBefore, string? Prefix);

/// <summary>What a job does to each object of its manifest.</summary>
internal abstract record BatchOperation;

/// <summary>
/// S3PutObjectCopy into <paramref name="TargetBucketArn"/>, keeping each object's metadata, with the same ACL,
/// encryption and checksum choices as a local restore's CopyObject: a canned ACL (null: none), SSE-KMS with a key of
/// the source side (null: the bucket's default), an additional checksum algorithm (null: none).
/// </summary>
internal sealed record BatchCopy(string TargetBucketArn, string? CannedAcl, string? KmsKeyId, string? ChecksumAlgorithm) : BatchOperation;

/// <summary>S3ReplicateObject: replicate each object under the source bucket's replication rules (a backfill).</summary>
internal sealed record BatchReplicate : BatchOperation;

/// <summary>S3InitiateRestoreObject: restore each archived object from Glacier for <paramref name="Days"/> days (BULK or STANDARD).</summary>
internal sealed record BatchInitiateRestore(int Days, string Tier) : BatchOperation;

/// <summary>
/// S3ComputeObjectChecksum: S3 reads each object at rest and computes its checksum with <paramref name="Algorithm"/>
/// (a ComputeObjectChecksumAlgorithm of the service model) over the whole object (FULL_OBJECT), whatever its part layout;
/// the checksums are in the completion report.
/// </summary>
internal sealed record BatchComputeChecksum(string Algorithm) : BatchOperation
{
    /// <summary>The checksum type asked for: one checksum of the whole object, comparable between any two copies of the same bytes.</summary>
    public const string FullObject = "FULL_OBJECT";
}

/// <summary>Which tasks a job's completion report lists (the service model's JobReportScope).</summary>
internal enum BatchReportScope
{
    /// <summary>Only the failed tasks: a restore or backfill needs to know what to do again.</summary>
    FailedTasksOnly,

    /// <summary>Every task: a compute-checksum job's results are its succeeded tasks.</summary>
    AllTasks,
}

/// <summary>What CreateJob is asked for: the operation, and where its objects come from (<see cref="Manifest"/> or <see cref="Generator"/>).</summary>
internal sealed record BatchJobRequest(
    string ClientRequestToken,
    string RoleArn,
    int Priority,
    bool ConfirmationRequired,
    string Description,
    BatchManifestLocation? Manifest,
    BatchManifestGenerator? Generator,
    string ReportBucketArn,
    string ReportPrefix,
    BatchOperation Operation,
    BatchReportScope ReportScope = BatchReportScope.FailedTasksOnly);

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
