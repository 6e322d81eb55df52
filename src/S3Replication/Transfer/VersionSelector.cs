using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// Point-in-time selection over a version listing (S3 lists a key's versions together, newest first): for each key,
/// the version that was current at the instant (without one: the current version now), or nothing when the key did
/// not exist then or its current version was a delete marker. Consumes one key's versions at a time, so memory does
/// not grow with the bucket.
/// </summary>
internal static class VersionSelector
{
    public static async IAsyncEnumerable<S3ObjectRecord> AsOf(IAsyncEnumerable<S3ObjectRecord> versions, DateTime? instant)
    {
        var at = instant?.ToUniversalTime();
        string? currentKey = null;
        S3ObjectRecord? chosen = null;
        var decided = false;
        await foreach (var version in versions.ConfigureAwait(false))
        {
            if (version.Key != currentKey)
            {
                if (chosen is not null)
                {
                    yield return chosen;
                }
                currentKey = version.Key;
                chosen = null;
                decided = false;
            }
            if (decided || (at is not null && version.LastModified?.ToUniversalTime() > at))
            {
                continue;
            }
            // The newest version not after the instant was current then.
            decided = true;
            chosen = version.IsDeleteMarker ? null : version;
        }
        if (chosen is not null)
        {
            yield return chosen;
        }
    }
}
