using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Commands;

/// <summary>
/// Completes -Prefix with the keys of the bucket already on the command line, one level at a time as a path completes
/// folder by folder. The bucket is the first of -Bucket, -BackupBucket (Sync-S3BackupToSource, Compare-S3BackupBucket
/// and Start-S3BackupBatchRestore read their keys from the backup) and -SourceBucket, asked with that side's session
/// (-BackupSession, -SourceSession) where one is given. Without a bucket there is nothing to complete: never local file
/// names, which a key prefix is not.
/// </summary>
public sealed class KeyPrefixCompleter : IArgumentCompleter
{
    private static readonly (string Bucket, string Session)[] BucketParameters =
        { ("Bucket", "Session"), ("BackupBucket", "BackupSession"), ("SourceBucket", "SourceSession") };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        foreach (var (bucketParameter, sessionParameter) in BucketParameters)
        {
            if (CompletionQuery.Bound<string>(fakeBoundParameters, bucketParameter) is { } bucket)
            {
                var typed = Completions.Unquoted(wordToComplete);
                // In S3's order, not sorted again: folders first, as KeyPrefixListing returns them.
                return CompletionQuery.Ask(fakeBoundParameters, sessionParameter,
                        async (session, token) => await KeyPrefixListing.NextLevelAsync(session.S3, bucket, typed, token).ConfigureAwait(false))
                    .Select(Completions.Result).ToList();
            }
        }
        return Array.Empty<CompletionResult>();
    }
}

/// <summary>One level of a bucket's keys under what was typed, as a completion list shows it.</summary>
internal static class KeyPrefixListing
{
    /// <summary>
    /// The common prefixes (the "folders") right under <paramref name="typed"/>, then the keys at that level, each in S3's
    /// order. One LIST request of at most 1,000 entries: a longer list is not read by anyone at a prompt, and a second
    /// request would spend the seconds a completer has.
    /// </summary>
    public static async Task<IReadOnlyList<string>> NextLevelAsync(IAmazonS3 s3, string bucket, string typed, CancellationToken cancellationToken)
    {
        var page = await s3.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = bucket,
            Prefix = typed.Length == 0 ? null : typed,
            Delimiter = "/",
        }, cancellationToken).ConfigureAwait(false);
        return (page.CommonPrefixes ?? new List<string>())
            .Concat((page.S3Objects ?? new List<S3Object>()).Select(item => item.Key))
            .ToList();
    }
}
