using System;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands;

/// <summary>
/// Base of every cmdlet that talks to AWS: <c>-ProfileName</c>, <c>-Region</c>, <c>-EndpointUrl</c>, <c>-Session</c>.
/// Without them the runspace's default session (Connect-S3Backup) applies, then AWS_PROFILE, environment keys and
/// the <c>default</c> profile. Parameters given here override the default session's profile, region and endpoint.
/// </summary>
public abstract class S3BackupCmdlet : AsyncPSCmdlet, IMfaCodeSource
{
    private AwsSession? _resolved;
    private readonly System.Collections.Concurrent.ConcurrentBag<AwsSession> _used = new();

    /// <summary>A profile from ~/.aws/config or ~/.aws/credentials.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProfileNameCompleter))]
    public string? ProfileName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Region { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EndpointUrl { get; set; }

    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? Session { get; set; }

    internal SessionStore Store { get; } = SessionStore.ForCurrentRunspace();

    internal SessionRequest RequestFromParameters()
    {
        if (Region is not null && !AwsNames.IsRegion(Region))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"'{Region}' is not a region name (expected something like eu-west-2).", Region);
        }
        return new SessionRequest(ProfileName, Region, EndpointUrl);
    }

    /// <summary>The session this invocation uses; resolved once, on the pipeline thread (it reads profile files).</summary>
    internal AwsSession ResolveSession()
    {
        if (_resolved is not null)
        {
            return _resolved;
        }
        var request = RequestFromParameters();
        var store = Store;
        if (Session is not null)
        {
            if (request != SessionRequest.Empty)
            {
                throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                    "Use either -Session or -ProfileName/-Region/-EndpointUrl, not both.", Session);
            }
            _resolved = FromRecord(Session);
        }
        else
        {
            _resolved = store.Resolve(request, ProcessEnvironment.Instance);
        }
        _used.Add(_resolved);
        _ = WriteVerboseAsync($"Session: profile {_resolved.ProfileName ?? "(none)"}, region {_resolved.S3Settings.Region}, " +
            $"endpoint {_resolved.S3Settings.EndpointUrl ?? "(AWS default)"}, credentials {_resolved.Plan.Describe()}.");
        return _resolved;
    }

    private protected override IDisposable EnterInvocation() => Invocation.WithPrompt(this);

    /// <summary>The sentence that ends a long run, shown to whoever runs it (information stream), and with -Summary the record too.</summary>
    private protected async Task ReportSummaryAsync(TransferSummary summary, bool asRecord)
    {
        await WriteInformationAsync(summary.Text, "S3Replication.Summary").ConfigureAwait(false);
        if (asRecord)
        {
            await WriteObjectAsync(summary).ConfigureAwait(false);
        }
    }

    protected override void StopProcessing()
    {
        base.StopProcessing();
        foreach (var session in _used.Distinct())
        {
            session.DiscardConnections();
        }
    }

    /// <summary>
    /// Runs the work for one pipeline item; a failure we can explain becomes a non-terminating error so the
    /// remaining items are still processed.
    /// </summary>
    protected async Task PerItemAsync(Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (S3BackupException failure)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
        }
    }

    /// <summary>pwsh -NonInteractive (scheduled runbooks) and hosts without a console cannot answer a prompt.</summary>
    private bool IsNonInteractive() =>
        Environment.GetCommandLineArgs().Any(argument =>
            argument.StartsWith("-noni", StringComparison.OrdinalIgnoreCase) && "-noninteractive".StartsWith(argument, StringComparison.OrdinalIgnoreCase))
        || Host.Name is "Default Host" or "ServerRemoteHost";

    /// <summary>A session given as a record (-Session, -BackupSession, -SourceSession): the one it describes (<see cref="SessionStore.Find"/>).</summary>
    internal AwsSession FromRecord(S3BackupSession record)
    {
        var session = Store.Find(record, ProcessEnvironment.Instance);
        _used.Add(session);
        return session;
    }

    async Task<string?> IMfaCodeSource.ReadCodeAsync(string profileName, string mfaSerial)
    {
        if (IsNonInteractive())
        {
            return null;
        }
        try
        {
            return await OnPipeline(() =>
            {
                Host.UI.Write($"MFA code for {mfaSerial} (profile {profileName}): ");
                return Host.UI.ReadLine();
            }).ConfigureAwait(false);
        }
        catch (Exception error) when (error is PSInvalidOperationException or NotImplementedException or PSNotImplementedException or InvalidOperationException)
        {
            // Non-interactive hosts (pwsh -NonInteractive, scheduled runbooks) refuse to prompt.
            return null;
        }
    }
}
