using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using S3Replication.Transfer;

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
