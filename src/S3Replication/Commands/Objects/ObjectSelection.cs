using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Checks and listings shared by the object cmdlets: bucket names, -AsOf, and the filtered stream of a bucket.</summary>
internal static class ObjectSelection
{
    public static void RequireBucket(string bucket, string role) => ReplicationRuleSpec.RequireBucket(bucket, role);

    /// <summary>A piped record's bucket; the error names the record, which is what the user can find in their pipeline.</summary>
    public static void RequireBucket(S3ObjectRecord item)
    {
        try
        {
            ReplicationRuleSpec.RequireBucket(item.Bucket, "");
        }
        catch (S3BackupException invalid)
        {
            throw new S3BackupException(invalid.ErrorId, invalid.Category, $"The piped object '{item.Key}' has no valid Bucket: {invalid.Message}", item, invalid);
        }
    }

    public static void RequirePast(DateTime? asOf)
    {
        if (asOf is { } instant && instant.ToUniversalTime() > DateTime.UtcNow)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"-AsOf {instant:o} is in the future; give the moment whose backup you want, e.g. (Get-Date).AddDays(-1).", instant);
        }
    }

    /// <summary>The latest objects, or with <paramref name="asOf"/> the versions current then, in key order, filtered.</summary>
    public static async IAsyncEnumerable<S3ObjectRecord> ListAsync(ObjectLister lister, string bucket, string? prefix, KeyFilter filter, DateTime? asOf,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listing = asOf is { } instant
            ? VersionSelector.AsOf(lister.ListVersionsAsync(bucket, prefix, cancellationToken), instant)
            : lister.ListAsync(bucket, prefix, cancellationToken);
        await foreach (var item in listing.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (filter.Keeps(item))
            {
                yield return item;
            }
        }
    }
}
