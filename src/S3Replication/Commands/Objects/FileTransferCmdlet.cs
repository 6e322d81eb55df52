using System;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// What Save- and Write-S3BackupObject share: transfers through the one item runner (bounded, paced, each request
/// retried, counted, stopped as one), one result per file, failures as non-terminating errors while the rest goes on,
/// and progress with counts, bytes and rate.
/// </summary>
public abstract class FileTransferCmdlet : ParallelCmdlet
{
    /// <summary>Also write a result for each file that needed no transfer.</summary>
    [Parameter]
    public SwitchParameter IncludeSkipped { get; set; }

    /// <summary>Write one TransferSummary record at the end instead of a result per file.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    private ItemRunner? _runner;
    private bool? _commit;
    private long _planned;
    private ProgressReporter? _progress;

    /// <summary>"Download" or "Upload": the progress activity and the verb of the summary.</summary>
    private protected abstract string Activity { get; }

    /// <summary>"Downloaded" or "Uploaded": the result's Action, and (in lower case) the tally's word.</summary>
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
        var done = DoneAction.ToLowerInvariant();
        _runner = new ItemRunner(MaxConcurrency, new Tally("files", done), message => _ = WriteVerboseAsync(message), Work, PipelineStopping);
        _progress = new ProgressReporter(Activity, _runner.Tally);
    }

    /// <summary>Starts one transfer once a worker is free. Ends the run once the first transfers were all denied the same permission.</summary>
    private protected async Task EnqueueAsync(TransferResult result, Func<RetryPolicy, CancellationToken, Task<TransferOutcome>> work)
    {
        await ThrowIfStoppedAsync().ConfigureAwait(false);
        var what = $"{Activity} of s3://{result.Bucket}/{result.Key} ({result.Path})";
        await _runner!.StartAsync(token => RunAsync(result, what, retry => work(retry, token), token)).ConfigureAwait(false);
    }

    private async Task ThrowIfStoppedAsync()
    {
        if (_runner!.StopError is { } stop)
        {
            await _runner.CompleteAsync().ConfigureAwait(false);
            await ReportSummaryAsync(RunSummary(stopped: true), Summary).ConfigureAwait(false);
            throw stop;
        }
    }

    /// <summary>One file or object the run will account for, whatever becomes of it: the progress total.</summary>
    private protected void Planned() => Interlocked.Increment(ref _planned);

    /// <summary>Every item is known (the listing or the input has ended): progress can show a share and the time left.</summary>
    private protected void AllPlanned() => _runner!.Tally.SetExpected(Interlocked.Read(ref _planned));

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
        _runner!.Record(ItemOutcome.Would);
        result.Action = "Would" + Activity;
        result.Bytes = result.Size;
        await WriteResultAsync(result).ConfigureAwait(false);
        return false;
    }

    private Task WriteResultAsync(TransferResult result) => Summary ? Task.CompletedTask : WriteObjectAsync(result);

    private TransferSummary RunSummary(bool stopped) => _runner!.Tally.ToSummary(Activity, RunTarget, stopped);

    private protected override string? DescribeStop() => _runner is null ? null
        : RunSummary(stopped: true).Text + _runner.StopNote() + ". Running the same command again transfers the rest; what is complete is skipped.";

    private protected async Task SkipAsync(TransferResult result, TransferReason reason)
    {
        _runner!.Record(ItemOutcome.Skipped);
        result.Action = "Skipped";
        result.Reason = reason.ToString();
        if (IncludeSkipped)
        {
            await WriteResultAsync(result).ConfigureAwait(false);
        }
    }

    private protected async Task FailAsync(TransferResult result, S3BackupException failure)
    {
        _runner!.Record(ItemOutcome.Failed, 0, failure);
        await WriteErrorsAsync(_runner.ErrorsToShow(failure)).ConfigureAwait(false);
        result.Action = "Failed";
        result.Error = failure.Message;
        await WriteResultAsync(result).ConfigureAwait(false);
    }

    private protected async Task FinishTransfersAsync()
    {
        if (_runner is null)
        {
            return;
        }
        AllPlanned();
        await WithHeldErrorsAsync(_runner, _runner.CompleteAsync).ConfigureAwait(false);
        await ThrowIfStoppedAsync().ConfigureAwait(false);
        await WriteProgressAsync(_progress!.Completed()).ConfigureAwait(false);
        await ReportSummaryAsync(RunSummary(stopped: false), Summary).ConfigureAwait(false);
        _runner.Dispose();
    }

    private async Task RunAsync(TransferResult result, string what, Func<RetryPolicy, Task<TransferOutcome>> work, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        S3BackupException? failure = null;
        try
        {
            var outcome = await work(_runner!.RetryFor(what)).ConfigureAwait(false);
            result.Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3);
            result.VersionId = outcome.VersionId ?? result.VersionId;
            if (!outcome.Transferred)
            {
                await SkipAsync(result, outcome.Reason ?? TransferReason.Identical).ConfigureAwait(false);
            }
            else
            {
                _runner.Record(ItemOutcome.Done, outcome.Bytes);
                (result.Action, result.Reason, result.Bytes) = (DoneAction, outcome.Reason?.ToString(), outcome.Bytes);
                await WriteResultAsync(result).ConfigureAwait(false);
            }
        }
        catch (S3BackupException explained)
        {
            failure = explained;
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            result.Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3);
            failure = AwsErrors.ForFailure(error, IamAction, $"arn:aws:s3:::{result.Bucket}/{result.Key}", what, result,
                error is UnauthorizedAccessException or IOException ? ErrorCategory.WriteError : ErrorCategory.ConnectionError);
        }
        if (failure is not null)
        {
            await FailAsync(result, failure).ConfigureAwait(false);
        }
        if (_progress!.Due() is { } progress)
        {
            await WriteProgressAsync(progress).ConfigureAwait(false);
        }
    }
}
