using System.Management.Automation;

namespace S3Replication.Core;

/// <summary>
/// Watches the first transfers of a run: when the first <see cref="Threshold"/> that were tried all failed with an
/// AccessDenied for the same permission, every further one would too, so the run should stop with one error that
/// names it instead of failing once per object. Any success or any other failure among them settles that the
/// run goes on. Thread-safe: transfers finish on worker threads.
/// </summary>
internal sealed class RepeatedDenial
{
    public const int Threshold = 5;

    private readonly object _gate = new();
    private int _denied;
    private bool _settled;
    private string? _permission;

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
            var permission = failure is { ErrorId: ErrorId.AccessDenied } ? S3Permissions.Of(failure)?.BucketWide().ToString() ?? failure.Message : null;
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
}
