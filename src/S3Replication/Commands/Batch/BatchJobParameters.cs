using System;
using System.Management.Automation;
using S3Replication.Batch;
using S3Replication.Transfer;

namespace S3Replication.Commands.Batch;

/// <summary>
/// What every job the module creates needs: where its manifest and report go, the role it runs as, its priority and the
/// account. Declared once; each cmdlet that creates jobs offers a subclass as its dynamic parameters (the Start cmdlets
/// descend from different cmdlets, and Compare-S3BackupBucket offers them only with -CompareBy ComputedChecksum).
/// </summary>
public abstract class BatchJobSettings
{
    /// <summary>Where the manifest and the completion report go (s3replication/&lt;kind&gt;/&lt;run&gt;/).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string WorkBucket { get; set; } = "";

    /// <summary>The role the job runs as: trusted by batchoperations.s3.amazonaws.com, allowed to do the job's work.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string RoleArn { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Priority { get; set; } = 10;

    /// <summary>The account that runs the job; by default the session's, from STS GetCallerIdentity.</summary>
    [Parameter]
    [ValidatePattern("^[0-9]{12}$")]
    public string? AccountId { get; set; }

    /// <summary>The checks before anything is created: a role ARN, a valid work bucket.</summary>
    internal void Require()
    {
        BatchJobSetup.RequireRoleArn(RoleArn);
        ObjectSelection.RequireBucket(WorkBucket, "work");
    }
}

/// <summary>The job settings of Start-S3BackupBatchRestore and Start-S3BackupBatchReplication, whose jobs may wait for approval.</summary>
public sealed class BatchJobParameters : BatchJobSettings
{
    /// <summary>Let the job run as soon as it is ready, instead of waiting for Approve-S3BackupBatchJob.</summary>
    [Parameter]
    public SwitchParameter NoConfirmation { get; set; }
}

/// <summary>
/// Compare-S3BackupBucket -CompareBy ComputedChecksum: the job settings, the checksum S3 computes, and how long the compare
/// waits for its two jobs (which run without approval: the compare's own confirmation is the gate, and it waits for them).
/// </summary>
public sealed class ComputedChecksumParameters : BatchJobSettings
{
    /// <summary>
    /// The checksum S3 computes over each whole object (FULL_OBJECT): CRC64NVME by default, or another algorithm of
    /// S3ComputeObjectChecksum (SHA256 for a cryptographic digest).
    /// </summary>
    [Parameter]
    [ValidateSet("CRC64NVME", "CRC32", "CRC32C", "SHA1", "SHA256", "SHA512", "MD5")]
    public string ChecksumAlgorithm { get; set; } = "CRC64NVME";

    /// <summary>
    /// The longest wait for the two jobs; they go on after it (the error BatchJobMismatch names them). Also declared by
    /// Wait-S3BackupBatchJob (a static parameter there: one property cannot be in both blocks); its rule and default are one.
    /// </summary>
    [Parameter]
    [Transfer.Duration]
    public TimeSpan Timeout { get; set; } = BatchJobWaiter.DefaultTimeout;
}
