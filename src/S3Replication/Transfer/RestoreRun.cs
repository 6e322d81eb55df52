using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Session;
using S3Replication.Transfer.Inventory;

namespace S3Replication.Transfer;

/// <summary>The two buckets a run restores between: it reads the backup and writes the source.</summary>
internal sealed record BucketPair(string Backup, string Source);

/// <summary>What one restore run is asked to do, whichever way its keys arrive.</summary>
internal sealed record RunSettings(DecisionPolicy Policy, int MaxConcurrency)
{
    /// <summary>False under -WhatIf (or a declined -Confirm): nothing is changed, each key says what would be done.</summary>
    public bool Commit { get; init; }

    /// <summary>Whether the run writes into the source (a restore) or only reads both sides (a compare).</summary>
    public bool Writes { get; init; } = true;

    /// <summary>
    /// -Force: restore although the replication configurations say the buckets are the other way round; -Mirror on an
    /// unversioned source, or (versioned) emptying a selection the backup lacks.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>The moment of the backup the run restores (-AsOf), for its records.</summary>
    public DateTime? AsOf { get; init; }

    /// <summary>-SourceAccountId: the source bucket's expected owner; by default the source session's account, where known.</summary>
    public string? SourceAccountId { get; init; }

    /// <summary>-BackupAccountId: the backup bucket's expected owner; by default the replication rule's destination account, where it names one.</summary>
    public string? BackupAccountId { get; init; }

    /// <summary>The account that writes the source's objects, where it is not the source session's (a Batch job's role).</summary>
    public string? WriterAccount { get; init; }

    public CopyOptions Copy { get; init; } = CopyOptions.Default;
}

/// <summary>What became of one key of a restore; a SyncResult once the cmdlet writes it.</summary>
internal sealed record RestoreOutcome(string Key, SyncAction Action, SyncReason? Reason)
{
    public string BackupBucket { get; init; } = "";

    /// <summary>The backup version read (or that would be), where the backup is versioned.</summary>
    public string? BackupVersionId { get; init; }
    public string SourceBucket { get; init; } = "";

    /// <summary>The source version the restore wrote, or the delete marker -Mirror added, where the source is versioned.</summary>
    public string? SourceVersionId { get; init; }

    /// <summary>The backup object's size (for a removal, the source object's).</summary>
    public long Size { get; init; }

    /// <summary>Bytes copied (Copied), or that would be (WouldCopy) or needed no copy (Skipped); 0 otherwise.</summary>
    public long Bytes { get; init; }

    /// <summary>When the outcome was reached (UTC).</summary>
    public DateTime Time { get; init; } = DateTime.UtcNow;
    public TimeSpan Duration { get; init; }
    public S3BackupException? Failure { get; init; }

    public ItemOutcome Counted => Action switch
    {
        SyncAction.Copied => ItemOutcome.Done,
        SyncAction.Skipped => ItemOutcome.Skipped,
        SyncAction.Failed => ItemOutcome.Failed,
        SyncAction.NeedsRestore => ItemOutcome.NeedsRestore,
        SyncAction.TooLarge => ItemOutcome.TooLarge,
        SyncAction.Deleted => ItemOutcome.Removed,
        SyncAction.WouldDelete => ItemOutcome.WouldRemove,
        _ => ItemOutcome.Would,
    };
}

/// <summary>How a run talks back to whoever runs it: a cmdlet writes records, errors, warnings and verbose lines.</summary>
internal interface IRunReport
{
    Task OutcomeAsync(RestoreOutcome outcome);

    /// <summary>A line for the log: a retry, a slow-down, what a guard found.</summary>
    void Note(string message);

    Task WarnAsync(string message);
}

/// <summary>Where decided keys go: the copy engine, a Batch Operations manifest, or compare output.</summary>
internal interface IRestoreSink
{
    /// <summary>Takes one decided key; returns once it is handed on (a copy started, a row written), not when it is done.</summary>
    Task TakeAsync(Decided item, CancellationToken cancellationToken);

    /// <summary>Every key has been taken: finish what the sink does with them (copies in flight, -Mirror's removals).</summary>
    Task FinishAsync(CancellationToken cancellationToken);
}

/// <summary>
/// One restore run, whichever way it is entered: a plan source (the merge-join of two bucket listings, or piped rows:
/// objects, compare results, Batch report tasks, records read back from CSV or Clixml) gives candidates; the guards run
/// once for the bucket pair before anything is done; <see cref="FactResolver"/> and <see cref="RestoreDecider"/> decide
/// each key; a sink acts on the decisions; outcomes come back typed, through <see cref="IRunReport"/>. The cmdlets that
/// enter it (Sync-S3BackupToSource, Compare-S3BackupBucket, Start-S3BackupBatchRestore) only bind, ask ShouldProcess
/// and write what it reports.
/// </summary>
internal sealed class RestoreRun : IDisposable
{
    private readonly IRunReport _report;

    public RestoreRun(AwsSession backup, AwsSession source, RunSettings settings, IRunReport report, Tally tally, InFlight owner, CancellationToken cancellationToken)
    {
        Backup = backup;
        SourceSession = source;
        Settings = settings;
        _report = report;
        ServerSide = ReferenceEquals(backup, source);
        Runner = new ItemRunner(settings.MaxConcurrency, tally, report.Note, owner, cancellationToken);
    }

    public AwsSession Backup { get; }
    public AwsSession SourceSession { get; }
    public RunSettings Settings { get; private set; }
    public ItemRunner Runner { get; }

    /// <summary>
    /// The answer to the one confirmation (ShouldProcess): false under -WhatIf, so nothing is changed and the run is a plan
    /// for review, in which every row names the backup version it would read (a row without one is pinned by a HEAD).
    /// </summary>
    public void Confirm(bool commit) => Settings = Settings with { Commit = commit, Policy = commit ? Settings.Policy : Settings.Policy with { PinVersions = true } };

    /// <summary>One session reads the backup and writes the source: CopyObject, no bytes through this process.</summary>
    public bool ServerSide { get; }

    /// <summary>The buckets, once <see cref="BeginAsync"/> has passed the guards; null before.</summary>
    public BucketPair? Pair { get; private set; }

    /// <summary>The accounts every request of the run expects to own its buckets, once <see cref="BeginAsync"/> has checked them.</summary>
    public BucketOwners Owners { get; private set; } = BucketOwners.Unknown;

    /// <summary>Whether -Mirror's removals can be undone (delete markers on a versioned source); false once -Force let an unversioned source through.</summary>
    public bool RemovalsUndoable { get; private set; } = true;

    /// <summary>
    /// The guards, once per run and before anything else: the same bucket named twice; bucket names swapped (the
    /// replication configurations say the "backup" replicates to the "source": a restore would write into the backup);
    /// a bucket that belongs to another account than expected; -Mirror on a source whose removals could not be undone.
    /// A run that writes refuses -CompareBy ComputedChecksum (a compare's). A refusal is an error and changes nothing. A run
    /// that writes then decides its writes' ACL.
    /// </summary>
    public async Task BeginAsync(BucketPair pair, CancellationToken cancellationToken)
    {
        if (Settings.Writes && Settings.Policy.Mode == CompareMode.ComputedChecksum)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                "-CompareBy ComputedChecksum verifies content through S3 Batch Operations jobs and is Compare-S3BackupBucket's: run the compare with it, " +
                "then pipe the rows it finds Different into this command (which decides each again against the source). Nothing was changed.", Settings.Policy.Mode);
        }
        ObjectSelection.RequireBucket(pair.Backup, "backup");
        ObjectSelection.RequireBucket(pair.Source, "source");
        if (pair.Backup == pair.Source)
        {
            throw new S3BackupException(ErrorId.SameBucket, ErrorCategory.InvalidArgument,
                $"The backup and the source are both s3://{pair.Source}: name the backup bucket and the bucket it backs up. Nothing was changed.", pair.Source);
        }
        // The owners first, so that even the guard's own reads name the account they expect: the source's is the session's
        // account unless given, the backup's the account the source's replication rule sends its backup to unless given.
        var sessionAccount = await BucketOwnership.AccountOfAsync(SourceSession, _report.Note, cancellationToken).ConfigureAwait(false);
        var sourceOwner = Settings.SourceAccountId ?? sessionAccount;
        var sourceConfiguration = await ConfigurationOrNullAsync(SourceSession, pair.Source, sourceOwner, cancellationToken).ConfigureAwait(false);
        Owners = new BucketOwners(Settings.BackupAccountId ?? BucketOrientation.BackupAccountOf(pair.Backup, sourceConfiguration), sourceOwner);
        await RequireOrientationAsync(pair, sourceConfiguration, cancellationToken).ConfigureAwait(false);
        await BucketOwnership.RequireOwnerAsync(Backup.S3, pair.Backup, Owners.Backup, "-BackupAccountId", cancellationToken).ConfigureAwait(false);
        await BucketOwnership.RequireOwnerAsync(SourceSession.S3, pair.Source, Owners.Source, "-SourceAccountId", cancellationToken).ConfigureAwait(false);
        _report.Note($"Expected bucket owners: s3://{pair.Backup} {Owners.Backup ?? "(not known: not checked)"}, s3://{pair.Source} {Owners.Source ?? "(not known: not checked)"}.");
        if (Settings.Writes && Settings.Policy.Mirror)
        {
            await RequireUndoableRemovalsAsync(pair.Source, cancellationToken).ConfigureAwait(false);
        }
        if (Settings.Writes)
        {
            var writer = Settings.WriterAccount ?? sessionAccount;
            var (acl, why) = await BucketOwnership.AclAsync(SourceSession.S3, Settings.Copy.Acl, writer, pair.Source, Owners.Source, cancellationToken)
                .ConfigureAwait(false);
            Settings = Settings with { Copy = Settings.Copy with { CannedAcl = acl } };
            _report.Note($"Objects written into s3://{pair.Source} carry {why}.");
        }
        Pair = pair;
    }

    /// <summary>
    /// What a bucket plan reads each side from: LIST requests, or the S3 Inventory given for it (a manifest, a folder of
    /// deliveries, or the bucket's inventory configuration id), checked to be the inventory of that bucket. Says how old an
    /// inventory is (a warning past two days), and that a run that writes reads each key again before deciding. Refused,
    /// with nothing changed: -Mirror from a backup inventory (it lacks what was backed up since, and would remove that
    /// from the source), and an -AsOf after the backup inventory was taken (it cannot tell what was current then).
    /// </summary>
    public async Task<PlanSides> SidesAsync(string? backupInventory, string? sourceInventory, DateTime? asOf, CancellationToken cancellationToken)
    {
        var pair = Pair ?? throw new InvalidOperationException("The run has not begun.");
        if (backupInventory is not null && Settings.Writes && Settings.Policy.Mirror)
        {
            throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.InvalidArgument,
                $"-Mirror removes from s3://{pair.Source} what the backup does not have, and an inventory of s3://{pair.Backup} lacks what was backed up " +
                "after it was taken, so -Mirror would remove that: omit -BackupInventory (the backup bucket is then listed). Nothing was changed.", backupInventory);
        }
        var readAgain = Settings.Writes ? " Each key is read again (HEAD) on that side before it is decided, so a restore acts on what is there now." : "";
        var backup = await SideAsync(backupInventory, Backup, pair.Backup, Owners.Backup, readAgain, cancellationToken).ConfigureAwait(false);
        if (backup is InventoryListing inventory && asOf?.ToUniversalTime() > inventory.CreatedUtc)
        {
            throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.InvalidArgument,
                $"-AsOf {PointInTime.Describe(asOf.Value)} is after the inventory of s3://{pair.Backup} was taken ({inventory.DescribeAge()}), which cannot tell " +
                "what was current then: give an -AsOf before it, or omit -BackupInventory (the backup bucket's versions are then listed). Nothing was changed.",
                backupInventory);
        }
        return new PlanSides(backup, await SideAsync(sourceInventory, SourceSession, pair.Source, Owners.Source, readAgain, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The backup selection's count as the progress total, beside the run (under its pacing): an inventory's own count once
    /// its files are sorted, where the selection keeps all it lists; else the same listing once more. A count that fails
    /// only leaves the total unknown (noted); one stopped because the run ended says nothing.
    /// </summary>
    public async Task CountAheadAsync(PlanSides sides, Selection selection, CancellationToken cancellationToken)
    {
        if (sides.Backup is InventoryListing inventory)
        {
            if (selection.Keys.IsEmpty && selection.AsOf is null)
            {
                inventory.Sorted += Runner.Tally.Foresee;
            }
            return;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Runner.Token);
        try
        {
            using (Runner.Pace())
            {
                Runner.Tally.Foresee(await Task.Run(() => PlanSources.CountAsync(sides, Pair!, selection, stop.Token), stop.Token).ConfigureAwait(false));
            }
        }
        catch (Exception error) when (!stop.IsCancellationRequested)
        {
            _report.Note($"The total was not counted ahead (progress shows it once the plan is complete): {error.Message}");
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // The run ended (or was stopped) before the count did: nothing to say.
        }
    }

    private static readonly TimeSpan StaleInventory = TimeSpan.FromDays(2);

    private async Task<IObjectSource> SideAsync(string? inventory, AwsSession session, string bucket, string? owner, string consequence,
        CancellationToken cancellationToken)
    {
        if (inventory is null)
        {
            return new ObjectLister(session.S3, owner);
        }
        var listing = new InventoryListing(await InventoryLocator.ResolveAsync(session.S3, inventory, bucket, cancellationToken).ConfigureAwait(false), session.S3);
        var message = $"s3://{bucket} is planned from its S3 Inventory of {listing.DescribeAge()} ({listing.Manifest.Location}), without LIST requests: " +
            "objects written or removed since are not in it." + consequence;
        if (listing.Age > StaleInventory)
        {
            await _report.WarnAsync(message).ConfigureAwait(false);
        }
        else
        {
            _report.Note(message);
        }
        return listing;
    }

    /// <summary>The orientation guard, with the source's replication configuration (null: none, or unreadable) read already.</summary>
    private async Task RequireOrientationAsync(BucketPair pair, Amazon.S3.Model.ReplicationConfiguration? sourceConfiguration, CancellationToken cancellationToken)
    {
        var orientation = BucketOrientation.Of(pair.Backup, pair.Source,
            await ConfigurationOrNullAsync(Backup, pair.Backup, Owners.Backup, cancellationToken).ConfigureAwait(false), sourceConfiguration);
        var swapped = $"s3://{pair.Backup} replicates to s3://{pair.Source}, so '{pair.Backup}' is the source and '{pair.Source}' its backup";
        if (orientation == Orientation.Reversed && Settings.Writes && !Settings.Force)
        {
            throw new S3BackupException(ErrorId.BucketsReversed, ErrorCategory.InvalidArgument,
                $"{swapped}: this restore would write into the backup. Swap the backup and source buckets (for piped compare results, " +
                "run the compare with -SourceBucket and -BackupBucket the right way round), or pass -Force if this is really meant. Nothing was changed.",
                pair.Backup);
        }
        if (orientation == Orientation.Reversed && !Settings.Writes)
        {
            await _report.WarnAsync($"{swapped}: the buckets are named the other way round; piping these results into a restore is refused.").ConfigureAwait(false);
            return;
        }
        _report.Note(orientation switch
        {
            Orientation.AsGiven => $"s3://{pair.Source} replicates to s3://{pair.Backup}: the restore goes the right way.",
            Orientation.Reversed => $"{swapped}; restoring the other way round as -Force asks.",
            _ => "Neither bucket's replication configuration names the other (or it could not be read); the bucket roles are taken as given.",
        });
    }

    private static async Task<Amazon.S3.Model.ReplicationConfiguration?> ConfigurationOrNullAsync(AwsSession session, string bucket, string? owner,
        CancellationToken cancellationToken)
    {
        try
        {
            return await new ReplicationService(session.S3).GetAsync(bucket, cancellationToken, owner).ConfigureAwait(false);
        }
        catch (S3BackupException)
        {
            return null;
        }
    }

    /// <summary>-Mirror removes with delete markers, which can be removed again; without versioning a removal is final.</summary>
    private async Task RequireUndoableRemovalsAsync(string sourceBucket, CancellationToken cancellationToken)
    {
        var versioning = await new ReplicationService(SourceSession.S3).GetVersioningAsync(sourceBucket, cancellationToken, Owners.Source).ConfigureAwait(false);
        if (versioning == "Enabled")
        {
            return;
        }
        if (!Settings.Force)
        {
            throw new S3BackupException(ErrorId.MirrorUnversionedSource, ErrorCategory.InvalidOperation,
                $"s3://{sourceBucket} has versioning {(versioning == "Off" ? "never enabled" : versioning.ToLowerInvariant())}, so -Mirror's removals could not be undone. " +
                "Enable versioning on it (New-S3BackupReplicationRule -EnableVersioning does), or pass -Force to remove for good. Nothing was changed.", sourceBucket);
        }
        RemovalsUndoable = false;
        await _report.WarnAsync($"s3://{sourceBucket} is not versioned: -Mirror's removals are permanent (-Force).").ConfigureAwait(false);
    }

    /// <summary>
    /// A piped row as a key of this run, or the refusal when it does not belong to it: its bucket must be the run's
    /// backup bucket, and a row that names its source bucket (compare results, restore records) must name the run's.
    /// </summary>
    public Candidate Admit(S3ObjectRecord row) => PlanSources.Piped(row, Pair ?? throw new InvalidOperationException("The run has not begun."));

    /// <summary>
    /// Decides every key of the plan and hands it to the sink, then lets the sink finish; returns when no request of the
    /// run is running. A stop (the pipeline's or the run's own) ends the plan there.
    /// </summary>
    /// <summary>
    /// Copies of a run without -AsOf that replace a source object written after the backup version they read, and the
    /// first few keys: after a rollback the backup's current versions may be the very ones it replaced.
    /// </summary>
    public (long Count, IReadOnlyList<string> FirstKeys) OverNewerSource => (_overNewerSource, _overNewerSourceKeys);

    private long _overNewerSource;
    private readonly List<string> _overNewerSourceKeys = new();

    private void WatchOverNewerSource(Decided decided)
    {
        if (Settings.Writes && Settings.AsOf is null && decided.Decision.Verdict == Verdict.Copy
            && decided.Candidate is { Source.LastModified: { } written, Backup.LastModified: { } backedUp } && written > backedUp)
        {
            if (_overNewerSource++ < 3)
            {
                _overNewerSourceKeys.Add(decided.Candidate.Key);
            }
        }
    }

    public async Task RunAsync(IAsyncEnumerable<Candidate> plan, IRestoreSink sink)
    {
        var pair = Pair ?? throw new InvalidOperationException("The run has not begun.");
        var resolver = new FactResolver(Backup.S3, SourceSession.S3, pair.Source, Owners, Settings.Policy, Runner.RetryFor, Runner.InFlight);
        using (Runner.Pace())
        {
            try
            {
                await foreach (var decided in resolver.DecideAsync(plan, Runner.Token).ConfigureAwait(false))
                {
                    if (Runner.Stopped)
                    {
                        break;
                    }
                    WatchOverNewerSource(decided);
                    await sink.TakeAsync(decided, Runner.Token).ConfigureAwait(false);
                }
                if (!Runner.Token.IsCancellationRequested)
                {
                    await sink.FinishAsync(Runner.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                await Runner.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => Runner.Dispose();
}
