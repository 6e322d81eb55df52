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

/// <summary>
/// What CreateJob is asked for: an S3PutObjectCopy job into <see cref="CopyTargetBucketArn"/>, or (without one) an
/// S3ReplicateObject job; its objects come from <see cref="Manifest"/> or <see cref="Generator"/>.
/// </summary>
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
