using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands;

/// <summary>Turns candidate values into completion results: those starting with the word typed, quoted where needed.</summary>
internal static class Completions
{
    /// <summary>Characters that end or change an unquoted argument (whitespace aside): such a value is completed in single quotes.</summary>
    private static readonly char[] NeedsQuotes =
        { '\'', '"', '$', '`', ';', '(', ')', '{', '}', ',', '&', '|', '<', '>', '@', '#', '\u2018', '\u2019', '\u201A', '\u201B', '\u201C', '\u201D', '\u201E' };

    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string wordToComplete)
    {
        var prefix = Unquoted(wordToComplete);
        return candidates
            .Where(value => value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(value => value, StringComparer.OrdinalIgnoreCase)
            .Select(Result);
    }

    /// <summary>The word as typed, without the quote it was opened with.</summary>
    public static string Unquoted(string wordToComplete) => wordToComplete.Trim('\'', '"');

    public static CompletionResult Result(string value)
    {
        // A leading dash would be read as the next parameter's name.
        var quoted = value.StartsWith("-", StringComparison.Ordinal) || value.Any(character => char.IsWhiteSpace(character) || Array.IndexOf(NeedsQuotes, character) >= 0)
            ? $"'{CodeGeneration.EscapeSingleQuotedStringContent(value)}'"
            : value;
        return new CompletionResult(quoted, value, CompletionResultType.ParameterValue, value);
    }
}

/// <summary>
/// How completers ask AWS: with the session the command line would use (its -Session record, else its
/// -ProfileName/-Region/-EndpointUrl, else the default session), for a few seconds at most, and with nothing rather
/// than an error as the answer to any failure, because a completer must never break typing.
/// </summary>
internal static class CompletionQuery
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <param name="sessionParameter">The parameter whose session record applies (e.g. -BackupSession), before -Session.</param>
    public static IReadOnlyList<string> Ask(IDictionary boundParameters, string sessionParameter,
        Func<AwsSession, CancellationToken, Task<IEnumerable<string>>> question)
    {
        try
        {
            var session = SessionFor(boundParameters, sessionParameter);
            var timeout = new CancellationTokenSource();
            var answer = Task.Run(() => question(session, timeout.Token));
            // Waited for with a limit of its own: not every step observes the token (a role's credentials obtained
            // through STS, a connection attempt), and a completer that hangs hangs the prompt.
            if (!answer.Wait(Patience))
            {
                // Cancelled, not disposed: the question may still be holding the token when it gets to look at it.
                timeout.Cancel();
                return Array.Empty<string>();
            }
            timeout.Dispose();
            return answer.Result.ToList();
        }
#pragma warning disable CA1031 // Whatever went wrong (no profile, no network, denied), completion offers nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
            return Array.Empty<string>();
        }
    }

    private static AwsSession SessionFor(IDictionary boundParameters, string sessionParameter)
    {
        var store = SessionStore.ForCurrentRunspace();
        var record = Bound<S3BackupSession>(boundParameters, sessionParameter) ?? Bound<S3BackupSession>(boundParameters, "Session");
        return record is not null
            ? store.Find(record, ProcessEnvironment.Instance)
            : store.Resolve(new SessionRequest(Bound<string>(boundParameters, "ProfileName"), Bound<string>(boundParameters, "Region"),
                Bound<string>(boundParameters, "EndpointUrl")), ProcessEnvironment.Instance);
    }

    /// <summary>A value already on the command line, as PowerShell could evaluate it without running anything.</summary>
    public static T? Bound<T>(IDictionary boundParameters, string name) where T : class =>
        boundParameters.Contains(name) && boundParameters[name] is { } value ? (value as PSObject)?.BaseObject as T ?? value as T : null;
}

/// <summary>Base of the completers that ask AWS (bucket names, rule ids, role names), as <see cref="CompletionQuery"/> does.</summary>
public abstract class SessionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(CompletionQuery.Ask(fakeBoundParameters, "Session",
            (session, token) => CandidatesAsync(session, fakeBoundParameters, token)), wordToComplete).ToList();

    internal abstract Task<IEnumerable<string>> CandidatesAsync(AwsSession session, IDictionary boundParameters, CancellationToken cancellationToken);
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
        if (CompletionQuery.Bound<string>(boundParameters, "Bucket") is not { } bucket)
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
