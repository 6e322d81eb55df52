using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// What Save- and Write-S3BackupObject share: bounded parallel transfers with whole-file retries, one result per
/// file, failures as non-terminating errors while the rest goes on, and progress with counts, bytes and rate.
/// </summary>
public abstract class FileTransferCmdlet : S3BackupCmdlet
{
    [Parameter]
    [ValidateRange(1, 256)]
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Also write a result for each file that needed no transfer.</summary>
    [Parameter]
    public SwitchParameter IncludeSkipped { get; set; }

    /// <summary>Write one TransferSummary record at the end instead of a result per file.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    private BoundedWorkers? _workers;
    private bool? _commit;
    private long _planned;
    private readonly RepeatedDenial _denials = new();
    private ProgressReporter? _progress;

    /// <summary>"Download" or "Upload": the progress activity and the verb of the summary.</summary>
    private protected abstract string Activity { get; }

    private protected abstract string DoneAction { get; }

    /// <summary>The IAM action a denial of one transfer points at.</summary>
    private protected abstract string IamAction { get; }

    /// <summary>What the one -WhatIf/-Confirm of the run names: where it writes, and what it does.</summary>
    private protected abstract string RunTarget { get; }

    private protected abstract string RunAction { get; }

    private protected FileTransfer? Transfer { get; private set; }

    private protected void StartTransfers(TransferOptions options)
    {
        Transfer = new FileTransfer(ResolveSession().S3, options);
        _workers = new BoundedWorkers(MaxConcurrency);
        _progress = new ProgressReporter(Activity, new Tally("files", DoneAction.ToLowerInvariant(), "skipped", "failed"));
    }

    /// <summary>Queues one transfer; waits only for a free worker. Ends the run once the first transfers were all denied the same permission.</summary>
    private protected async Task EnqueueAsync(TransferResult result, Func<CancellationToken, Task<TransferOutcome>> work, CancellationToken cancellationToken)
    {
        await ThrowIfStoppedAsync().ConfigureAwait(false);
        await _workers!.StartAsync(() => RunAsync(result, work, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task ThrowIfStoppedAsync()
    {
        if (_denials.StopError is { } stop)
        {
            await _workers!.WhenAllAsync().ConfigureAwait(false);
            await ReportSummaryAsync(RunSummary(stopped: true), Summary).ConfigureAwait(false);
            throw stop;
        }
    }

    /// <summary>One file or object the run will account for, whatever becomes of it: the progress total.</summary>
    private protected void Planned() => Interlocked.Increment(ref _planned);

    /// <summary>Every item is known (the listing or the input has ended): progress can show a share and the time left.</summary>
    private protected void AllPlanned() => _progress!.Tally.SetExpected(Interlocked.Read(ref _planned));

    /// <summary>
    /// -WhatIf/-Confirm, asked once for the run (not once per file, which would bury a long run's log); when declined, a
    /// Would… result with the bytes it would move stands for each file.
    /// </summary>
    private protected async Task<bool> ShouldTransferAsync(TransferResult result)
    {
        _commit ??= await ShouldProcessAsync(RunTarget, RunAction).ConfigureAwait(false);
        if (_commit.Value)
        {
            return true;
        }
        _progress!.Tally.Add("would be " + DoneAction.ToLowerInvariant());
        result.Action = "Would" + Activity;
        result.Bytes = result.Size;
        await WriteResultAsync(result).ConfigureAwait(false);
        return false;
    }

    private Task WriteResultAsync(TransferResult result) => Summary ? Task.CompletedTask : WriteObjectAsync(result);

    private TransferSummary RunSummary(bool stopped) => _progress!.Tally.ToSummary(Activity, RunTarget, stopped);

    private protected override string? DescribeStop() => _progress is null ? null
        : RunSummary(stopped: true).Text + ". Running the same command again transfers the rest; what is complete is skipped.";

    private protected async Task SkipAsync(TransferResult result, string reason)
    {
        _progress!.Tally.Add("skipped");
        result.Action = "Skipped";
        result.Reason = reason;
        if (IncludeSkipped)
        {
            await WriteResultAsync(result).ConfigureAwait(false);
        }
    }

    private protected async Task FailAsync(TransferResult result, S3BackupException failure)
    {
        _progress!.Tally.Add("failed");
        await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        result.Action = "Failed";
        result.Error = failure.Message;
        await WriteResultAsync(result).ConfigureAwait(false);
    }

    private protected async Task FinishTransfersAsync()
    {
        if (_workers is not null)
        {
            AllPlanned();
            await _workers.WhenAllAsync().ConfigureAwait(false);
            await ThrowIfStoppedAsync().ConfigureAwait(false);
        }
        if (_progress is not null)
        {
            await WriteProgressAsync(_progress.Completed()).ConfigureAwait(false);
            await ReportSummaryAsync(RunSummary(stopped: false), Summary).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(TransferResult result, Func<CancellationToken, Task<TransferOutcome>> work, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        S3BackupException? failure = null;
        try
        {
            var outcome = await RetryPolicies.S3.RunAsync(work, cancellationToken).ConfigureAwait(false);
            result.Duration = watch.Elapsed;
            result.VersionId = outcome.VersionId ?? result.VersionId;
            if (outcome.Action == "Skipped")
            {
                await SkipAsync(result, outcome.Reason ?? "Identical").ConfigureAwait(false);
            }
            else
            {
                _denials.Observe(null);
                _progress!.Tally.Add(DoneAction.ToLowerInvariant(), outcome.Bytes);
                (result.Action, result.Reason, result.Bytes) = (outcome.Action, outcome.Reason, outcome.Bytes);
                await WriteResultAsync(result).ConfigureAwait(false);
            }
        }
        catch (S3BackupException explained)
        {
            failure = explained;
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            result.Duration = watch.Elapsed;
            var what = $"{Activity} of s3://{result.Bucket}/{result.Key} ({result.Path})";
            failure = AwsErrors.ForFailure(error, IamAction, $"arn:aws:s3:::{result.Bucket}/{result.Key}", what, result,
                error is UnauthorizedAccessException or IOException ? ErrorCategory.WriteError : ErrorCategory.ConnectionError);
        }
        if (failure is not null)
        {
            _denials.Observe(failure);
            await FailAsync(result, failure).ConfigureAwait(false);
        }
        await ReportProgressAsync().ConfigureAwait(false);
    }

    private Task ReportProgressAsync() =>
        _progress!.Due() is { } progress ? WriteProgressAsync(progress) : Task.CompletedTask;
}
