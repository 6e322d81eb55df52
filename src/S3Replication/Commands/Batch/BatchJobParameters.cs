using System.Management.Automation;
using S3Replication.Batch;
using S3Replication.Transfer;

namespace S3Replication.Commands.Batch;

/// <summary>
/// What every job a Start cmdlet creates needs: where its manifest and report go, the role it runs as, its priority,
/// the account, and whether it waits for approval. Declared once; Start-S3BackupBatchRestore and
/// Start-S3BackupBatchReplication offer it as their dynamic parameters, since they descend from different cmdlets.
/// </summary>
public sealed class BatchJobParameters
{
    /// <summary>Where the manifest and the completion report go (s3replication/batch/&lt;run&gt;/).</summary>
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

    /// <summary>Let the job run as soon as it is ready, instead of waiting for Approve-S3BackupBatchJob.</summary>
    [Parameter]
    public SwitchParameter NoConfirmation { get; set; }

    /// <summary>The checks before anything is created: a role ARN, a valid work bucket.</summary>
    internal void Require()
    {
        BatchJobSetup.RequireRoleArn(RoleArn);
        ObjectSelection.RequireBucket(WorkBucket, "work");
    }
}
