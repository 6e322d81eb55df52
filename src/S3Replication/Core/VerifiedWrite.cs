using System;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Core;

/// <summary>What a verified read-modify-write did.</summary>
internal sealed record VerifiedWriteResult<T>(T Before, T After, bool Written, int Attempts);

/// <summary>
/// Read-modify-write for documents whose API has no conditional write (S3 replication configurations, IAM trust
/// policies): read, apply the change, confirm (ShouldProcess) with before and after, read again right before
/// writing (the prompt may have waited), write, then check the change reads back both at once and after a jittered
/// settle delay, because a writer that read before our write lands within it. When another writer undid the change,
/// it is applied again to the state found. Writers that all work this way keep each other's changes; a tool that
/// replaces the whole document can still undo ours after we finished.
/// </summary>
internal static class VerifiedWrite
{
    public static async Task<VerifiedWriteResult<T>> RunAsync<T>(
        Func<CancellationToken, Task<T>> read,
        Func<T, T> change,
        Func<T, T, Task<bool>> confirm,
        Func<T, CancellationToken, Task> write,
        Func<T, T, bool> applied,
        TimeSpan settleDelay,
        int reapplyLimit,
        Func<S3BackupException> keptChanging,
        CancellationToken cancellationToken)
    {
        var before = await read(cancellationToken).ConfigureAwait(false);
        var after = change(before);
        if (!await confirm(before, after).ConfigureAwait(false))
        {
            return new VerifiedWriteResult<T>(before, after, Written: false, Attempts: 0);
        }

        var current = await read(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            after = change(current);
            await write(after, cancellationToken).ConfigureAwait(false);
            current = await read(cancellationToken).ConfigureAwait(false);
            if (applied(current, after))
            {
                await Task.Delay(Backoff.Spread(settleDelay), cancellationToken).ConfigureAwait(false);
                current = await read(cancellationToken).ConfigureAwait(false);
                if (applied(current, after))
                {
                    return new VerifiedWriteResult<T>(before, after, Written: true, attempt);
                }
            }
            if (attempt == reapplyLimit)
            {
                throw keptChanging();
            }
        }
    }
}
