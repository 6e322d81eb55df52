using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace S3Replication.Core;

/// <summary>
/// Watches the first transfers of a run: when the first <see cref="Threshold"/> that were tried all failed with an
/// AccessDenied for the same permission, every further one would too, so the run should stop with one error that
/// names it instead of failing once per object. Any success or any other failure among them settles that the
/// run goes on. The per-object errors of those first transfers are held until that is settled: dropped when the run
/// stops (the one error says it all, and each failed row keeps its own message), shown when it goes on; after the stop,
/// further refusals of the same permission (transfers that were in flight) are not shown either. Thread-safe:
/// transfers finish on worker threads.
/// </summary>
internal sealed class RepeatedDenial
{
    public const int Threshold = 5;

    private readonly object _gate = new();
    private int _denied;
    private bool _settled;
    private string? _permission;
    private readonly List<S3BackupException> _held = new();

    /// <summary>Set once the run should stop: the error to end it with.</summary>
    public S3BackupException? StopError { get; private set; }

    /// <summary>One finished transfer: <paramref name="failure"/> is null when it succeeded.</summary>
    public void Observe(S3BackupException? failure)
    {
        lock (_gate)
        {
            if (_settled)
            {
                return;
            }
            var permission = PermissionOf(failure);
            if (permission is null || (_permission is not null && permission != _permission))
            {
                _settled = true;
                return;
            }
            _permission = permission;
            if (++_denied < Threshold)
            {
                return;
            }
            _settled = true;
            var needed = S3Permissions.Of(failure!) is { } known ? known.BucketWide().ToString() : "the permission named below";
            StopError = new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
                $"Stopped: the first {Threshold} objects tried were all denied, so the rest would be too and were not tried. The identity needs " +
                $"{needed}, and no bucket policy may deny it: grant that (or use a profile that has it) and run the command again; what was " +
                $"already done stays. The last refusal: {failure!.Message}",
                failure.Target, failure);
        }
    }

    /// <summary>
    /// The per-object errors to show for one finished transfer, after <see cref="Observe"/> has seen it (its failure, or
    /// null): while the watch is unsettled a refusal of the permission it watches is held (anything else is shown), once
    /// the run goes on the held ones are shown with this one, and after a stop only a failure that is not that refusal.
    /// </summary>
    public IReadOnlyList<S3BackupException> ErrorsToShow(S3BackupException? failure)
    {
        lock (_gate)
        {
            var refusal = PermissionOf(failure) is { } permission && permission == _permission;
            if (StopError is not null)
            {
                _held.Clear();
                return failure is null || refusal ? Array.Empty<S3BackupException>() : new[] { failure };
            }
            if (!_settled && refusal)
            {
                _held.Add(failure!);
                return Array.Empty<S3BackupException>();
            }
            var shown = new List<S3BackupException>();
            if (_settled)
            {
                shown.AddRange(_held);
                _held.Clear();
            }
            if (failure is not null)
            {
                shown.Add(failure);
            }
            return shown;
        }
    }

    /// <summary>At the end of a run: the errors still held when it ended before the watch settled (fewer transfers than the threshold, all refused).</summary>
    public IReadOnlyList<S3BackupException> HeldAtEnd()
    {
        lock (_gate)
        {
            var shown = StopError is null ? new List<S3BackupException>(_held) : new List<S3BackupException>();
            _held.Clear();
            return shown;
        }
    }

    private static string? PermissionOf(S3BackupException? failure) =>
        failure is { ErrorId: ErrorId.AccessDenied } ? S3Permissions.Of(failure)?.BucketWide().ToString() ?? failure.Message : null;
}
