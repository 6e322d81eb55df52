using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Session;

namespace S3Replication.Commands;

/// <summary>Turns candidate values into completion results: those starting with the word typed, quoted where needed.</summary>
internal static class Completions
{
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string wordToComplete)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return candidates
            .Where(value => value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(value => value, StringComparer.OrdinalIgnoreCase)
            .Select(value => new CompletionResult(value.IndexOfAny(new[] { ' ', '\'', '$', '`', ';', '(', ')', '{', '}' }) >= 0 ? $"'{value.Replace("'", "''")}'" : value,
                value, CompletionResultType.ParameterValue, value));
    }
}

/// <summary>
/// Base of the completers that ask AWS (bucket names, rule ids, role names): they use the session the command
/// line would use (its -ProfileName/-Region/-EndpointUrl, else the default session), give up after a few seconds,
/// and offer nothing rather than fail, because a completer must never break typing.
/// </summary>
public abstract class SessionCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var request = new SessionRequest(Bound(fakeBoundParameters, "ProfileName"), Bound(fakeBoundParameters, "Region"), Bound(fakeBoundParameters, "EndpointUrl"));
            var session = SessionStore.ForCurrentRunspace().Resolve(request, ProcessEnvironment.Instance);
            using var timeout = new CancellationTokenSource(Patience);
            var candidates = Task.Run(() => CandidatesAsync(session, fakeBoundParameters, timeout.Token)).GetAwaiter().GetResult();
            return Completions.Matching(candidates, wordToComplete).ToList();
        }
#pragma warning disable CA1031 // Whatever went wrong (no profile, no network, denied), completion offers nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
            return Array.Empty<CompletionResult>();
        }
    }

    internal abstract Task<IEnumerable<string>> CandidatesAsync(AwsSession session, IDictionary boundParameters, CancellationToken cancellationToken);

    internal static string? Bound(IDictionary boundParameters, string name) =>
        boundParameters.Contains(name) && boundParameters[name] is { } value ? (value as PSObject)?.BaseObject as string ?? value as string : null;
}

/// <summary>Completes bucket names the session can list.</summary>
public sealed class BucketNameCompleter : SessionCompleter
{
    internal override async Task<IEnumerable<string>> CandidatesAsync(AwsSession session, IDictionary boundParameters, CancellationToken cancellationToken)
    {
        var response = await session.S3.ListBucketsAsync(new Amazon.S3.Model.ListBucketsRequest(), cancellationToken).ConfigureAwait(false);
        return response.Buckets?.Select(bucket => bucket.BucketName) ?? Enumerable.Empty<string>();
    }
}

/// <summary>Completes the replication rule ids of the -Bucket already typed.</summary>
public sealed class RuleIdCompleter : SessionCompleter
{
    internal override async Task<IEnumerable<string>> CandidatesAsync(AwsSession session, IDictionary boundParameters, CancellationToken cancellationToken)
    {
        if (Bound(boundParameters, "Bucket") is not { } bucket)
        {
            return Enumerable.Empty<string>();
        }
        var response = await session.S3.GetBucketReplicationAsync(new Amazon.S3.Model.GetBucketReplicationRequest { BucketName = bucket }, cancellationToken)
            .ConfigureAwait(false);
        return response.Configuration?.Rules?.Select(rule => rule.Id).Where(id => !string.IsNullOrEmpty(id)) ?? Enumerable.Empty<string>();
    }
}

/// <summary>Completes IAM role names.</summary>
public sealed class RoleNameCompleter : SessionCompleter
{
    internal override async Task<IEnumerable<string>> CandidatesAsync(AwsSession session, IDictionary boundParameters, CancellationToken cancellationToken) =>
        await session.Iam.ListRoleNamesAsync(null, cancellationToken).ConfigureAwait(false);
}
