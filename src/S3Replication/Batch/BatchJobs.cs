using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Batch;

/// <summary>What every Batch Operations cmdlet needs: the account, an S3 Control client for a region, and job records.</summary>
internal static class BatchJobs
{
    public const string BatchServicePrincipal = "batchoperations.s3.amazonaws.com";

    /// <summary>-AccountId, or the session's account from STS GetCallerIdentity; a clear error where neither is known.</summary>
    public static async Task<string> AccountAsync(AwsSession session, string? accountId, CancellationToken cancellationToken)
    {
        if (accountId is not null)
        {
            return accountId;
        }
        var identity = await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
        return identity.Account is { Length: 12 } account ? account : throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
            "The account that runs Batch Operations jobs is not known: this endpoint does not answer STS GetCallerIdentity. Pass -AccountId <12-digit account>.",
            session.ProfileName);
    }

    public static S3ControlClient Client(AwsSession session, string region)
    {
        var settings = session.S3ControlSettings ?? session.S3Settings;
        return new S3ControlClient(session.Credentials, settings with { Region = region });
    }

    /// <summary>One job as DescribeJob reports it, as a record of its account and region; a failure says which job and what the caller needs.</summary>
    public static async Task<S3BatchJobRecord> DescribeAsync(S3ControlClient client, string accountId, string region, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            return ToRecord(await client.DescribeJobAsync(accountId, jobId, cancellationToken).ConfigureAwait(false), accountId, region);
        }
        catch (S3ControlException error)
        {
            throw Failure(error, $"Describing job {jobId} of account {accountId}", jobId);
        }
    }

    /// <summary>The parameters that name <paramref name="job"/> to the job cmdlets wherever it runs: -JobId, -AccountId and -Region (those known).</summary>
    public static string Parameters(S3BatchJobRecord job) => $"-JobId {job.JobId}" + (job.AccountId is { Length: > 0 } account ? $" -AccountId {account}" : "") +
        (job.Region is { Length: > 0 } region ? $" -Region {region}" : "");

    public static S3BatchJobRecord ToRecord(BatchJob job, string accountId, string region) => new()
    {
        JobId = job.JobId,
        AccountId = accountId,
        Region = region,
        Operation = job.Operation,
        Status = job.Status,
        Priority = job.Priority,
        Description = job.Description,
        TotalTasks = job.TotalTasks,
        SucceededTasks = job.SucceededTasks,
        FailedTasks = job.FailedTasks,
        Elapsed = job.ElapsedSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        CreationTime = job.CreationTime?.ToLocalTime(),
        TerminationDate = job.TerminationDate?.ToLocalTime(),
        Manifest = job.ManifestArn,
        ReportBucket = job.ReportBucket,
        ReportPrefix = job.ReportPrefix,
        RoleArn = job.RoleArn,
        FailureReasons = job.FailureReasons.ToList(),
    };

    /// <param name="needs">What the caller needs for this request, where more than the S3 Control actions (CreateJob passes the job's role).</param>
    public static S3BackupException Failure(S3ControlException error, string what, object target,
        string needs = "s3:CreateJob, s3:DescribeJob, s3:ListJobs or s3:UpdateJobStatus/Priority in S3 Control")
    {
        var denied = error.Status == HttpStatusCode.Forbidden || error.Code is "AccessDenied";
        var missing = error.Status == HttpStatusCode.NotFound || error.Code is "NoSuchJob" or "NotFoundException";
        return new S3BackupException(
            denied ? ErrorId.AccessDenied : missing ? ErrorId.BatchJobNotFound : ErrorId.AwsRequestFailed,
            denied ? ErrorCategory.PermissionDenied : missing ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidOperation,
            $"{what} failed: {error.Code}: {error.Message}" + (denied ? $" (the caller needs {needs})." : "."),
            target, error);
    }
}
