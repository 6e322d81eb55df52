using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Permissions;

/// <summary>
/// One way of using the module that docs/PERMISSIONS.md lists the restore role's permissions for: a script run in a
/// hosted runspace whose default session points at the stand-in, after <see cref="Setup"/> (run unrecorded). The id
/// is the page's scenario marker (&lt;!-- scenario: id --&gt;).
/// </summary>
internal sealed record Scenario(string Id, string Script, string? Setup = null)
{
    /// <summary>Planted archived objects the script restores (or not): the stand-in serves the restore request.</summary>
    public bool Archived { get; init; }

    /// <summary>The backup side runs with its own session (-BackupSession): its requests are recorded as "backup".</summary>
    public bool TwoSessions { get; init; }

    /// <summary>
    /// The account that owns the source bucket when it is not the session's: the restore then writes as another
    /// account, and the page's "if another account" rows are needed.
    /// </summary>
    public string? SourceOwner { get; init; }

    public override string ToString() => Id;
}

internal static class Scenarios
{
    public const string Backup = "perm-backup";
    public const string Source = "perm-source";
    public const string Work = "perm-work";
    public const string BatchRoleArn = "arn:aws:iam::111122223333:role/BatchRestore";
    public const string OtherAccount = "999988887777";

    public static readonly IReadOnlyDictionary<string, string> Placeholders = new Dictionary<string, string>
    {
        [Backup] = "<backup-bucket>",
        [Source] = "<source-bucket>",
        [Work] = "<work-bucket>",
    };

    /// <summary>
    /// The backup: a/changed twice (AsOf falls between its versions), a/missing, a/equal, a/same-size (same size as the
    /// source's, other content: Auto reads both checksums), a/gone (deleted after AsOf); the source (replicating to the
    /// backup): a/changed, a/equal, a/same-size, a/only-source (which -Mirror removes). Returns the AsOf moment.
    /// </summary>
    public static DateTime Plant(LoopbackS3 s3, bool archived = false)
    {
        var backup = s3.AddBucket(Backup);
        var source = s3.AddBucket(Source);
        source.ReplicatesTo.Add(Backup);
        backup.Put("a/changed", "first version");
        backup.Put("a/equal", "equal bytes");
        backup.Put("a/gone", "deleted later");
        backup.Put("a/missing", "only in the backup");
        backup.Put("a/same-size", "backup bytes");
        var asOf = backup.Put("a/changed", "second, after the moment").LastModified.AddMilliseconds(-500);
        backup.Delete("a/gone");
        source.Put("a/changed", "the source's own");
        source.Put("a/equal", "equal bytes");
        source.Put("a/same-size", "source bytes");
        source.Put("a/only-source", "written after the moment");
        s3.AddBucket(Work);
        s3.AddRole("BatchRestore",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}""");
        if (archived)
        {
            backup.Put("g/deep", "deep archive", storageClass: "DEEP_ARCHIVE");
        }
        return asOf;
    }

    private const string Restore = "Sync-S3BackupToSource -BackupBucket perm-backup -SourceBucket perm-source -Confirm:$false";

    public static readonly IReadOnlyList<Scenario> All = new[]
    {
        new Scenario("restore", Restore),
        new Scenario("restore-other-account", Restore + " -SourceAccountId " + OtherAccount) { SourceOwner = OtherAccount },
        new Scenario("restore-asof", Restore + " -AsOf $asOf"),
        new Scenario("restore-mirror", Restore + " -AsOf $asOf -Mirror"),
        new Scenario("undo", "$rows | Undo-S3BackupRestore -Confirm:$false", Setup: "$rows = " + Restore + " -AsOf $asOf -Mirror"),
        new Scenario("restore-plan", Restore + " -WhatIf"),
        new Scenario("restore-rows", "Import-Csv $file | Sync-S3BackupToSource -Confirm:$false",
            Setup: Restore + " -WhatIf | Export-Csv $file -NoTypeInformation"),
        new Scenario("restore-two-sessions", Restore + " -BackupSession $backupSession") { TwoSessions = true },
        new Scenario("restore-archived", "Sync-S3BackupToSource -BackupBucket perm-backup -SourceBucket perm-source -Prefix g/ -RestoreArchived -Confirm:$false")
            { Archived = true },
        new Scenario("restore-preserve-encryption", Restore + " -PreserveEncryption"),
        new Scenario("restore-kms", Restore + " -KmsKeyId arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        new Scenario("compare", "Compare-S3BackupBucket -SourceBucket perm-source -BackupBucket perm-backup"),
        new Scenario("list", "Get-S3BackupObject -Bucket perm-backup"),
        new Scenario("list-asof", "Get-S3BackupObject -Bucket perm-backup -AsOf $asOf"),
        new Scenario("download", "Save-S3BackupObject -Bucket perm-backup -Destination $folder -Confirm:$false"),
        new Scenario("upload", "Write-S3BackupObject -Path $folder -Bucket perm-source -Prefix uploaded/ -Confirm:$false",
            Setup: "Save-S3BackupObject -Bucket perm-backup -Destination $folder -Confirm:$false"),
        new Scenario("replication-status", "Get-S3ReplicationStatus -Bucket perm-source"),
        new Scenario("batch-restore", "Start-S3BackupBatchRestore -BackupBucket perm-backup -SourceBucket perm-source -WorkBucket perm-work " +
            "-RoleArn " + BatchRoleArn + " -AccountId 111122223333 -Confirm:$false"),
        new Scenario("access", "Test-S3BackupAccess -Bucket perm-source -Probe List,Read,Write,Versioning,Replication,Versions,Undo -Confirm:$false"),
    };
}
