using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>Cmdlets that act on one Batch Operations job, named by -JobId (and -AccountId) or piped as a job record.</summary>
public abstract class BatchJobCmdlet : S3BackupCmdlet
{
    protected const string IdSet = "Id";
    protected const string JobSet = "Job";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[A-Za-z0-9_-]{5,36}$")]
    public string JobId { get; set; } = "";

    /// <summary>The account that owns the job; by default the session's, from STS GetCallerIdentity.</summary>
    [Parameter(ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[0-9]{12}$")]
    public string? AccountId { get; set; }

    /// <summary>A job record from Get-S3BackupBatchJob or Start-S3BackupBatchRestore; it carries its account and region.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = JobSet)]
    [ValidateNotNull]
    public S3BatchJobRecord? InputObject { get; set; }

    /// <summary>The job's id, account and region, from the record or the parameters and session.</summary>
    private protected async Task<(string JobId, string AccountId, string Region)> TargetAsync(CancellationToken cancellationToken)
    {
        if (InputObject is { } job)
        {
            return (job.JobId, job.AccountId, job.Region);
        }
        var session = ResolveSession();
        var account = await BatchJobs.AccountAsync(session, AccountId, cancellationToken).ConfigureAwait(false);
        return (JobId, account, (session.S3ControlSettings ?? session.S3Settings).Region);
    }

    /// <summary>Asks ShouldProcess, makes one S3 Control change to the job, and writes the job as S3 then describes it.</summary>
    private protected async Task UpdateAsync(string action, string what, System.Func<S3ControlClient, (string JobId, string AccountId, string Region), Task> change,
        CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        if (!await ShouldProcessAsync($"job {target.JobId}", action).ConfigureAwait(false))
        {
            return;
        }
        using (var client = BatchJobs.Client(ResolveSession(), target.Region))
        {
            try
            {
                await change(client, target).ConfigureAwait(false);
            }
            catch (S3ControlException error)
            {
                throw BatchJobs.Failure(error, $"{what} job {target.JobId}", target.JobId);
            }
        }
        await WriteObjectAsync(await DescribeAsync(target, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private protected async Task<S3BatchJobRecord> DescribeAsync((string JobId, string AccountId, string Region) target, CancellationToken cancellationToken)
    {
        using var client = BatchJobs.Client(ResolveSession(), target.Region);
        return await BatchJobs.DescribeAsync(client, target.AccountId, target.Region, target.JobId, cancellationToken).ConfigureAwait(false);
    }
}
