using System;
using System.Globalization;
using System.Management.Automation;
using S3Replication.Batch;

namespace S3Replication.Commands.Batch;

/// <summary>
/// The rule of every -Timeout that bounds a wait for Batch Operations jobs (Wait-S3BackupBatchJob, Compare-S3BackupBucket
/// -CompareBy ComputedChecksum), declared once: at least the first pause between two polls (<see cref="BatchJobWaiter.FirstPoll"/>).
/// Zero, a negative or a sub-second timeout would end the wait after the first DescribeJob; a compare would have created
/// its two paid jobs for nothing. Refused as the parameter is bound, before anything is asked or created.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class JobTimeoutAttribute : ValidateArgumentsAttribute
{
    /// <summary>Why <paramref name="timeout"/> is refused, or null where it is a wait.</summary>
    public static string? Refusal(TimeSpan timeout) => timeout >= BatchJobWaiter.FirstPoll ? null : string.Format(CultureInfo.InvariantCulture,
        "-Timeout {0} is shorter than the first pause between two polls of the jobs ({1:%s} s): the wait would end after the first look, and a " +
        "compare's jobs would be created for nothing. Give a wait of at least that (the default is {2:%d} day, jobs take minutes to hours). Nothing was created.",
        timeout, BatchJobWaiter.FirstPoll, BatchJobWaiter.DefaultTimeout);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if ((arguments is PSObject wrapped ? wrapped.BaseObject : arguments) is TimeSpan timeout && Refusal(timeout) is { } refusal)
        {
            throw new ValidationMetadataException(refusal);
        }
    }
}
