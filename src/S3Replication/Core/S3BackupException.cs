using System;
using System.Management.Automation;

namespace S3Replication.Core;

/// <summary>Stable identifiers users can match on in <c>$Error[0].FullyQualifiedErrorId</c>.</summary>
public enum ErrorId
{
    ProfileNotFound,
    ProfileCycle,
    SourceProfileMissing,
    ProfileInvalid,
    ProfileHasNoCredentials,
    ConfigFileMalformed,
    ConfigSectionDuplicated,
    InvalidRoleArn,
    InvalidArgument,
    MfaCodeRequired,
    CredentialsFailed,
    AccessDenied,
    AwsRequestFailed,
    NoSession,
    InvalidBucketName,
    RuleExists,
    RuleNotFound,
    RoleConflict,
    TooManyRules,
    DuplicatePriority,
    VersioningNotEnabled,
    UnsupportedReplicationSchema,
    ConcurrentModification,
    ObjectNotFound,
    RoleNotFound,
    MalformedPolicyDocument,
    PolicyTooLarge,
    LimitExceeded,
    InvalidPrincipal,
    BroadPrincipalRefused,
    LastPrincipalRefused,
    ServicePrincipalRefused,
    PrincipalNotTrusted,
    IdentityUnknown,
    AssumeRoleTimedOut,
    UnsafeKey,
    FileExists,
    PathNotFound,
    SameBucket,
    BucketNotFound,
    AmbiguousDate,
    BucketsReversed,
    ChecksumRejected,
    SsoLoginRequired,
    SsoSignInFailed,
    MirrorBackupEmpty,
    MirrorTooManyRemovals,
    MirrorUnversionedSource,
    BatchJobNotFound,
    BatchRoleNotTrusted,
    BatchManifestFailed,
    BatchJobMismatch,

    /// <summary>A Batch Operations job's completion report could not be read (not there yet after the retries, or refused).</summary>
    BatchReportUnreadable,

    /// <summary>A piped row does not belong to the run's pair of buckets (or disagrees with the bucket names given).</summary>
    InputMismatch,

    /// <summary>Undo-S3BackupRestore: the key's current version is no longer the one the restore wrote.</summary>
    ChangedSinceRestore,

    /// <summary>Undo-S3BackupRestore: the record names no version the restore created (an unversioned source, or a preview).</summary>
    NotUndoable,

    /// <summary>A bucket exists but belongs to another account than expected (-SourceAccountId, -BackupAccountId, or what the session and the replication rule say).</summary>
    WrongBucketOwner,

    /// <summary>No delivered S3 Inventory (manifest.json with its manifest.checksum) at the location given, or no such inventory configuration.</summary>
    InventoryNotFound,

    /// <summary>An S3 Inventory manifest or data file that is not as AWS writes it, fails its checksum, or lists an object twice.</summary>
    InventoryInvalid,

    /// <summary>
    /// An S3 Inventory this module cannot plan from: ORC, a Parquet feature it does not read, versions asked of a
    /// current-versions inventory, -Mirror from a backup inventory, or an -AsOf after the inventory was taken.
    /// </summary>
    InventoryUnsupported,

    /// <summary>The S3 Inventory lists another bucket than the one being planned.</summary>
    InventoryMismatch,
}

/// <summary>
/// A failure we understand well enough to explain: carries the ErrorId, category and offending object so the
/// cmdlet can turn it into an accurate ErrorRecord, keeping the original exception as the inner one.
/// </summary>
public sealed class S3BackupException : Exception
{
    public S3BackupException(ErrorId errorId, ErrorCategory category, string message, object? target, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public ErrorId ErrorId { get; }
    public ErrorCategory Category { get; }
    public object? Target { get; }

    public ErrorRecord ToErrorRecord() => new(this, ErrorId.ToString(), Category, Target);
}
