using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>Shows Batch Operations jobs: one by id, or the account's jobs (optionally of some statuses).</summary>
[Cmdlet(VerbsCommon.Get, "S3BackupBatchJob", DefaultParameterSetName = ListSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class GetS3BackupBatchJobCommand : S3BackupCmdlet
{
    private const string ListSet = "List";
    private const string IdSet = "Id";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[A-Za-z0-9_-]{5,36}$")]
    public string JobId { get; set; } = "";

    /// <summary>Only jobs with these statuses (listing only).</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateSet("Active", "Cancelled", "Cancelling", "Complete", "Completing", "Failed", "Failing", "New", "Paused", "Pausing", "Preparing", "Ready", "Suspended")]
    public string[]? Status { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[0-9]{12}$")]
    public string? AccountId { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var session = ResolveSession();
        var account = await BatchJobs.AccountAsync(session, AccountId, cancellationToken).ConfigureAwait(false);
        var region = (session.S3ControlSettings ?? session.S3Settings).Region;
        using var client = BatchJobs.Client(session, region);
        if (ParameterSetName == IdSet)
        {
            await WriteObjectAsync(await BatchJobs.DescribeAsync(client, account, region, JobId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            return;
        }
        IReadOnlyList<BatchJob> jobs;
        try
        {
            jobs = await client.ListJobsAsync(account, Status ?? new string[0], cancellationToken).ConfigureAwait(false);
        }
        catch (S3ControlException error)
        {
            throw BatchJobs.Failure(error, $"Listing the jobs of account {account}", account);
        }
        foreach (var job in jobs)
        {
            await WriteObjectAsync(BatchJobs.ToRecord(job, account, region)).ConfigureAwait(false);
        }
    }
}
