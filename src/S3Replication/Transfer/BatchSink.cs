using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>One manifest a Batch job reads: its local file, rows, bytes and digest.</summary>
internal sealed class ManifestFile : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly bool _pinned;
    private string? _digest;
    private bool _disposed;

    /// <param name="pinned">Every row names its version (a restore's, a backup's to verify); false: the job reads each key's current object.</param>
    public ManifestFile(bool pinned = true)
    {
        _pinned = pinned;
        Path = System.IO.Path.GetTempFileName();
        _file = new FileStream(Path, FileMode.Create, FileAccess.Write);
    }

    public string Path { get; }

    /// <summary>The manifest's columns, as CreateJob names them.</summary>
    public IReadOnlyList<string> Fields => _pinned ? BatchManifestLocation.Versioned : BatchManifestLocation.Latest;
    public long Rows { get; private set; }
    public long Bytes { get; private set; }

    public async Task AddAsync(S3ObjectRecord item, CancellationToken cancellationToken)
    {
        var row = Encoding.UTF8.GetBytes(BatchManifest.Row(item, _pinned));
        _sha.AppendData(row);
        await _file.WriteAsync(row, 0, row.Length, cancellationToken).ConfigureAwait(false);
        Rows++;
        Bytes += item.Size;
    }

    /// <summary>The SHA-256 of every row, once all are written (<see cref="Close"/>): it names the run's folder and the job's request token.</summary>
    public string Sha256 => _digest ?? throw new InvalidOperationException("The manifest is still being written.");

    /// <summary>Every row is written: the file is complete and its digest known.</summary>
    public void Close()
    {
        if (_digest is null)
        {
            _digest = Hex.Of(_sha.GetHashAndReset());
            _file.Dispose();
        }
    }

    /// <summary>Removes the file; once, however often it is called.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _file.Dispose();
        _sha.Dispose();
        File.Delete(Path);
    }
}

/// <summary>
/// The source's manifest of a computed-checksum compare: pinned to the objects compared where every one's version is
/// known (piped rows, whose source object a HEAD read in a versioned bucket), else naming each key's current object, which
/// is then whatever object is current when the job reads it. A manifest names a version in every row or in none, so it is
/// written both ways until a row without a version settles it.
/// </summary>
internal sealed class SourceManifest : IDisposable
{
    private ManifestFile? _pinned = new(pinned: true);
    private ManifestFile? _latest = new(pinned: false);

    /// <summary>Whether every row so far names its version: the manifest the job gets, once closed, pins them.</summary>
    public bool Pinned => _pinned is not null;

    /// <summary>The manifest the job gets: pinned while every row names its version.</summary>
    public ManifestFile File => _pinned ?? _latest!;

    public async Task AddAsync(S3ObjectRecord source, CancellationToken cancellationToken)
    {
        if (_pinned is not null && source.VersionId is null)
        {
            _pinned.Dispose();
            _pinned = null;
        }
        if (_pinned is not null)
        {
            await _pinned.AddAsync(source, cancellationToken).ConfigureAwait(false);
        }
        if (_latest is not null)
        {
            await _latest.AddAsync(source, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every row is in: the manifest the job gets is complete, and the other one removed.</summary>
    public void Close()
    {
        if (_pinned is not null && _latest is not null)
        {
            _latest.Dispose();
            _latest = null;
        }
        File.Close();
    }

    public void Dispose()
    {
        _pinned?.Dispose();
        _latest?.Dispose();
    }
}

/// <summary>
/// The sink that hands a restore to S3 Batch Operations: every key to copy becomes a version-pinned row of the copy
/// manifest; archived ones never do (they need a restore first: with -RestoreArchived, rows of an S3InitiateRestoreObject
/// manifest); objects above what one Batch copy can (5 GiB) are kept aside for a local copy when asked, else reported.
/// The jobs are created only after the cmdlet's ShouldProcess (<see cref="SubmitAsync"/>).
/// </summary>
internal sealed class BatchSink : IRestoreSink, IDisposable
{
    public const int LargeObjectsShown = 20;
    private readonly RestoreRun _run;
    private readonly IRunReport _report;
    private readonly bool _restoreArchived;
    private readonly bool _copyLargeHere;
    private readonly HashSet<string> _checksumAlgorithms = new(StringComparer.Ordinal);

    public BatchSink(RestoreRun run, IRunReport report, bool restoreArchived, bool copyLargeHere)
    {
        _run = run;
        _report = report;
        _restoreArchived = restoreArchived;
        _copyLargeHere = copyLargeHere;
    }

    public ManifestFile Copies { get; } = new();

    /// <summary>Archived objects to restore from Glacier (-RestoreArchived), or null.</summary>
    public ManifestFile? Restores { get; private set; }

    /// <summary>Objects above the Batch copy limit, kept for a local copy (-CopyLargeObjectsLocally).</summary>
    public List<Candidate> Large { get; } = new();

    /// <summary>Large objects reported and left out (their keys, the first few).</summary>
    public List<string> LargeLeftOut { get; } = new();
    public long LargeLeftOutCount { get; private set; }

    /// <summary>
    /// The checksum algorithm the copy job asks for: the backup objects' one where all rows share it (so the restored
    /// objects compare by checksum next time, as a local restore's do); none where they differ or have none.
    /// </summary>
    public string? ChecksumAlgorithm => _checksumAlgorithms.Count == 1 && !_checksumAlgorithms.Contains("") ? _checksumAlgorithms.Single() : null;

    public async Task TakeAsync(Decided item, CancellationToken cancellationToken)
    {
        var (candidate, decision) = (item.Candidate, item.Decision);
        if (item.Failure is { } failure)
        {
            await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.Failed, null) with { Failure = failure }).ConfigureAwait(false);
            return;
        }
        var backup = candidate.PinnedBackup;
        switch (decision.Verdict)
        {
            case Verdict.Copy:
                _checksumAlgorithms.Add(backup!.ChecksumAlgorithm ?? "");
                await Copies.AddAsync(backup, cancellationToken).ConfigureAwait(false);
                await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.WouldCopy, decision.Reason) with { Bytes = backup.Size }).ConfigureAwait(false);
                return;
            case Verdict.NeedsRestore when decision.Reason == SyncReason.Archived && _restoreArchived:
                await (Restores ??= new ManifestFile()).AddAsync(backup!, cancellationToken).ConfigureAwait(false);
                await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.NeedsRestore, decision.Reason)).ConfigureAwait(false);
                return;
            case Verdict.TooLarge when _copyLargeHere:
                Large.Add(candidate);
                return;
            case Verdict.TooLarge:
                if (LargeLeftOut.Count < LargeObjectsShown)
                {
                    LargeLeftOut.Add(candidate.Key);
                }
                LargeLeftOutCount++;
                await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.TooLarge, decision.Reason)).ConfigureAwait(false);
                return;
            case Verdict.NeedsRestore:
                await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.NeedsRestore, decision.Reason)).ConfigureAwait(false);
                return;
            case Verdict.Skip:
                await ReportAsync(RunOutcomes.For(_run, candidate, SyncAction.Skipped, decision.Reason) with { Bytes = backup?.Size ?? 0 }).ConfigureAwait(false);
                return;
        }
    }

    public Task FinishAsync(CancellationToken cancellationToken)
    {
        Copies.Close();
        Restores?.Close();
        return Task.CompletedTask;
    }

    /// <summary>The copy job's operation: the same ACL, encryption and checksum choices as a local restore's copies.</summary>
    public BatchCopy CopyOperation()
    {
        var copy = _run.Settings.Copy;
        if (copy.Encryption == EncryptionMode.Preserve)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, System.Management.Automation.ErrorCategory.InvalidArgument,
                "-PreserveEncryption keeps each object's own encryption, but a Batch Operations copy job encrypts every object one way: " +
                "give -KmsKeyId (a key of the source side), or leave both out for the source bucket's default. Nothing was created.", "PreserveEncryption");
        }
        return new BatchCopy($"arn:aws:s3:::{_run.Pair!.Source}", copy.CannedAcl?.Value, copy.Encryption == EncryptionMode.KmsKey ? copy.KmsKeyId : null, ChecksumAlgorithm);
    }

    private Task ReportAsync(RestoreOutcome outcome) => RunOutcomes.ReportAsync(_run, _report, outcome);

    public void Dispose()
    {
        Copies.Dispose();
        Restores?.Dispose();
    }
}
