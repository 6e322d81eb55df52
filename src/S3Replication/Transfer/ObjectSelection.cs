using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;

namespace S3Replication.Transfer;

/// <summary>How many objects a listing gave and how many the filters kept (thread-safe counters).</summary>
internal sealed class SelectionCount
{
    private static readonly KeyMatch[] Alternatives = { KeyMatch.FileName, KeyMatch.IgnoreCase, KeyMatch.FileName | KeyMatch.IgnoreCase };

    private long _listed;
    private long _kept;
    private KeyFilter[] _alternatives = Array.Empty<KeyFilter>();
    private long[] _alternativeKept = Array.Empty<long>();

    public long ListedCount => Interlocked.Read(ref _listed);
    public long KeptCount => Interlocked.Read(ref _kept);

    /// <summary>Also counts what the filter's patterns would keep if matched another way, for the warning's advice.</summary>
    public void Watch(KeyFilter filter)
    {
        _alternatives = filter.HasPatterns
            ? Alternatives.Where(match => (match & filter.Match) != match).Select(match => filter.MatchedBy(match | filter.Match)).ToArray()
            : Array.Empty<KeyFilter>();
        _alternativeKept = new long[_alternatives.Length];
    }

    public void Listed(string key)
    {
        Interlocked.Increment(ref _listed);
        for (var index = 0; index < _alternatives.Length; index++)
        {
            if (_alternatives[index].Keeps(key))
            {
                Interlocked.Increment(ref _alternativeKept[index]);
            }
        }
    }

    public void Kept() => Interlocked.Increment(ref _kept);

    /// <summary>The first other way of matching that would have kept something, and how many.</summary>
    public (KeyMatch Match, long Count)? WouldKeep() =>
        Enumerable.Range(0, _alternatives.Length).Where(index => Interlocked.Read(ref _alternativeKept[index]) > 0)
            .Select(index => ((KeyMatch Match, long Count)?)(_alternatives[index].Match, Interlocked.Read(ref _alternativeKept[index])))
            .FirstOrDefault();
}

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
                $"-AsOf {PointInTime.Describe(instant)} is in the future; give the moment whose backup you want, e.g. (Get-Date).AddDays(-1).", instant);
        }
    }

    /// <summary>
    /// The latest objects, or with <paramref name="asOf"/> the versions current then, in key order, filtered. With
    /// <paramref name="pinned"/> every object names its version (the current one, from a version listing), so a plan can be
    /// carried out later exactly as it was reviewed; from an inventory of current versions only, each row is pinned by a
    /// HEAD when it is decided instead.
    /// </summary>
    public static async IAsyncEnumerable<S3ObjectRecord> ListAsync(IObjectSource lister, string bucket, string? prefix, KeyFilter filter, DateTime? asOf,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, SelectionCount? count = null, bool pinned = false)
    {
        var listing = asOf is not null || (pinned && lister.HasVersions)
            ? VersionSelector.AsOf(lister.ListVersionsAsync(bucket, prefix, cancellationToken), asOf)
            : lister.ListAsync(bucket, prefix, cancellationToken);
        await foreach (var item in listing.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            count?.Listed(item.Key);
            if (filter.Keeps(item))
            {
                count?.Kept();
                yield return item;
            }
        }
    }

    /// <summary>
    /// Why a selection came out empty, when it looks like a mistake (a leading '/', a moment before anything existed,
    /// patterns that matched none of the keys); null when it did not, or when something was selected.
    /// </summary>
    public static string? EmptySelectionWarning(SelectionCount count, string bucket, string? prefix, DateTime? asOf, string[]? include, string[]? exclude)
    {
        if (count.KeptCount > 0)
        {
            return null;
        }
        var where = $"s3://{bucket}/{prefix}";
        if (count.ListedCount == 0)
        {
            if (prefix is { Length: > 0 } && prefix[0] == '/')
            {
                return $"No key of s3://{bucket} starts with '{prefix}': S3 keys have no leading '/'. Try -Prefix '{prefix.TrimStart('/')}'.";
            }
            return asOf is { } moment
                ? $"Nothing existed under {where} as of {PointInTime.Describe(moment)}: the moment is before the first version there, or the prefix is wrong."
                : null;
        }
        var patterns = string.Join(", ", (include ?? Array.Empty<string>()).Select(pattern => $"-Include '{pattern}'")
            .Concat((exclude ?? Array.Empty<string>()).Select(pattern => $"-Exclude '{pattern}'")));
        if (patterns.Length == 0)
        {
            return $"None of the {count.ListedCount} object(s) under {where} was last modified within -ModifiedAfter/-ModifiedBefore.";
        }
        var advice = count.WouldKeep() is { } other
            ? $" With {Switches(other.Match)} they would match {other.Count}."
            : "";
        return $"None of the {count.ListedCount} object(s) under {where} matched {patterns}. Patterns match the " +
            "whole key and are case-sensitive, as S3 keys are: '*.cdf' does not match 'x.CDF', and 'imap_mag*' does not match 'imap/mag/l1a/imap_mag_1.cdf' " +
            "(write '*imap_mag*' or '*/imap_mag*' for part of a key, or add -MatchFileName or -IgnoreCase)." + advice;
    }

    /// <summary>
    /// The same, and for a -Prefix that listed nothing at all in a bucket that has keys, where it went wrong: what the
    /// deepest folder above it holds (<see cref="NearestPrefix"/>; one LIST a level). The hint is advice: a listing that
    /// fails only leaves it out.
    /// </summary>
    public static async Task<string?> EmptySelectionWarningAsync(SelectionCount count, IAmazonS3 s3, string bucket, string? prefix, DateTime? asOf,
        string[]? include, string[]? exclude, CancellationToken cancellationToken)
    {
        if (EmptySelectionWarning(count, bucket, prefix, asOf, include, exclude) is { } warning)
        {
            return warning;
        }
        if (count.ListedCount > 0 || string.IsNullOrEmpty(prefix) || asOf is not null)
        {
            return null;
        }
        try
        {
            return await NearestPrefix.HintAsync(bucket, prefix!, (parent, token) => KeyPrefixListing.NextLevelAsync(s3, bucket, parent, token), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            // Advice only: whatever keeps the LIST from answering (a denial, a dropped connection) leaves the hint out.
            return null;
        }
    }

    public static KeyMatch MatchFrom(bool fileName, bool ignoreCase) =>
        (fileName ? KeyMatch.FileName : KeyMatch.WholeKey) | (ignoreCase ? KeyMatch.IgnoreCase : KeyMatch.WholeKey);

    private static string Switches(KeyMatch match) => string.Join(" ",
        new[] { (match & KeyMatch.FileName) != 0 ? "-MatchFileName" : null, (match & KeyMatch.IgnoreCase) != 0 ? "-IgnoreCase" : null }.Where(name => name is not null));
}
