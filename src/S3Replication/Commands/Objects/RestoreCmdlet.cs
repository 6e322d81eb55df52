using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// The restores (Sync-S3BackupToSource here, Start-S3BackupBatchRestore through Batch Operations): what every copy of
/// theirs carries, whichever path copies it — ACL, encryption, restores of archived objects — declared once.
/// </summary>
public abstract class RestoreCmdlet : BucketPairCmdlet
{
    /// <summary>SSE-KMS with this key of the source side (key id, ARN or alias) instead of the source bucket's default encryption.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KmsKeyId { get; set; }

    /// <summary>Each object keeps the backup object's encryption method and KMS key id (a local restore only).</summary>
    [Parameter]
    public SwitchParameter PreserveEncryption { get; set; }

    /// <summary>
    /// The ACL restored objects get: Auto (the default) decides per run (none where the writer's account owns the source
    /// bucket or it enforces bucket-owner ownership; bucket-owner-full-control where another or an unknown account writes);
    /// BucketOwnerFullControl or None always.
    /// </summary>
    [Parameter]
    public AclChoice Acl { get; set; } = AclChoice.Auto;

    /// <summary>Start the restore from Glacier of each archived object that needs copying (it is copied by a later run, once restored).</summary>
    [Parameter]
    public SwitchParameter RestoreArchived { get; set; }

    [Parameter]
    [ValidateRange(1, 365)]
    public int RestoreDays { get; set; } = CopyOptions.Default.RestoreDays;

    /// <summary>The Glacier retrieval tier: Standard by default here, Bulk for a Batch Operations restore job (which offers no Expedited).</summary>
    [Parameter]
    [ValidateSet("Standard", "Bulk", "Expedited")]
    public string? RestoreTier { get; set; }

    /// <summary>
    /// Restore even though the replication configurations say the two buckets are the other way round; with -Mirror,
    /// also on a source without versioning, where a removal cannot be undone, or (on a versioned source) when the backup
    /// side selects nothing, removing the whole selection.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The copy choices of the parameters, for a path whose Glacier tier is <paramref name="defaultTier"/> unless -RestoreTier says.</summary>
    private protected CopyOptions CopyChoices(string defaultTier)
    {
        if (KmsKeyId is not null && PreserveEncryption)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                "-KmsKeyId picks a key of the source side and -PreserveEncryption keeps the backup's: give one of them, not both.", KmsKeyId);
        }
        return new CopyOptions
        {
            Encryption = KmsKeyId is not null ? EncryptionMode.KmsKey : PreserveEncryption ? EncryptionMode.Preserve : EncryptionMode.SourceDefault,
            KmsKeyId = KmsKeyId,
            Acl = Acl,
            RestoreArchived = RestoreArchived,
            RestoreDays = RestoreDays,
            RestoreTier = RestoreTier ?? defaultTier,
        };
    }

    private protected string DescribeEncryption() => KmsKeyId is not null ? $"SSE-KMS with key {KmsKeyId}"
        : PreserveEncryption ? "as in the backup (method and KMS key id)" : "the source bucket's default";
}
