using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Commands.Replication;

/// <summary>Reports each object's replication status from HeadObject, with a count per status at the end.</summary>
[Cmdlet(VerbsCommon.Get, "S3ReplicationStatus", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(ReplicationStatusRecord), typeof(ReplicationStatusSummary))]
public sealed class GetS3ReplicationStatusCommand : ParallelCmdlet
{
    private const string ObjectSet = "Object";
    private const string ListingSet = "Listing";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public S3ObjectRecord? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ListingSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string? Bucket { get; set; }

    [Parameter(Position = 1, ParameterSetName = ListingSet)]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    /// <summary>Write one count per status instead of one record per object.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }


    /// <summary>The status counted for an object whose metadata could not be read (denied, deleted meanwhile).</summary>
    internal const string Unreadable = "UNREADABLE";

    private readonly ConcurrentDictionary<(string Bucket, string Status), long> _counts = new();
    private ProgressReporter? _progress;
    private ItemRunner? _runner;
    private AwsSession? _session;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (Bucket is not null)
        {
            ReplicationRuleSpec.RequireBucket(Bucket, "source");
        }
        _session = ResolveSession();
        _runner = new ItemRunner(MaxConcurrency, new Tally("objects", "checked", "unreadable"), message => _ = WriteVerboseAsync(message), Work, cancellationToken);
        _progress = new ProgressReporter("Replication status", _runner.Tally);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is { } record)
        {
            await _runner!.StartAsync(token => CheckAsync(record, token)).ConfigureAwait(false);
        }
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (Bucket is not null)
        {
            using (_runner!.Pace())
            {
                await foreach (var record in new ObjectLister(_session!.S3).ListAsync(Bucket, Prefix, _runner.Token).ConfigureAwait(false))
                {
                    await _runner.StartAsync(token => CheckAsync(record, token)).ConfigureAwait(false);
                }
            }
        }
        _runner!.Tally.SetExpected(_runner.Started);
        await _runner.CompleteAsync().ConfigureAwait(false);
        await WriteProgressAsync(_progress!.Completed()).ConfigureAwait(false);

        var counts = _counts.OrderBy(entry => entry.Key.Bucket, StringComparer.Ordinal).ThenBy(entry => entry.Key.Status, StringComparer.Ordinal).ToList();
        await WriteVerboseAsync($"Replication status: {_runner.Tally.Summary()}: " +
            (counts.Count == 0 ? "none checked" : string.Join(", ", counts.Select(entry => $"{entry.Key.Bucket} {entry.Key.Status} {entry.Value}")))).ConfigureAwait(false);
        if (Summary)
        {
            foreach (var entry in counts)
            {
                await WriteObjectAsync(new ReplicationStatusSummary { Bucket = entry.Key.Bucket, Status = entry.Key.Status, Count = entry.Value }).ConfigureAwait(false);
            }
        }
    }

    private Task CheckAsync(S3ObjectRecord record, CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        string status;
        try
        {
            status = await HeadStatusAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (S3BackupException)
        {
            // Counted, so that a summary never looks complete while objects were left out of it.
            _runner!.Tally.Add(ItemOutcome.Failed);
            _counts.AddOrUpdate((record.Bucket, Unreadable), 1, (_, count) => count + 1);
            throw;
        }
        _counts.AddOrUpdate((record.Bucket, status), 1, (_, count) => count + 1);
        _runner!.Tally.Add(ItemOutcome.Done);
        if (_progress!.Due() is { } progress)
        {
            await WriteProgressAsync(progress).ConfigureAwait(false);
        }
        if (!Summary)
        {
            await WriteObjectAsync(new ReplicationStatusRecord { Bucket = record.Bucket, Key = record.Key, VersionId = record.VersionId, Status = status })
                .ConfigureAwait(false);
        }
    });

    private async Task<string> HeadStatusAsync(S3ObjectRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _runner!.RetryFor($"Reading the replication status of {record}").RunAsync(token => _session!.S3.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = record.Bucket, Key = record.Key, VersionId = record.VersionId }, token), cancellationToken).ConfigureAwait(false);
            return S3Replication.Diagnostics.ReplicationSample.NormalizeStatus(response.ReplicationStatus?.Value);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            throw new S3BackupException(ErrorId.ObjectNotFound, ErrorCategory.ObjectNotFound,
                $"{record} does not exist (or that version was deleted).", record, error);
        }
        catch (AmazonS3Exception error)
        {
            var action = record.VersionId is null ? "s3:GetObject" : "s3:GetObjectVersion";
            throw AwsErrors.ForS3(error, action, $"arn:aws:s3:::{record.Bucket}/{record.Key}", $"Reading the metadata of {record}", record);
        }
    }
}
