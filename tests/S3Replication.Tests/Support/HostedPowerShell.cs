using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using S3Replication.Commands.Session;
using S3Replication.Session;

namespace S3Replication.Tests.Support;

/// <summary>What a script gave: its output, its errors and its warnings.</summary>
internal sealed record HostedRun(IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings);

/// <summary>Runs the module's cmdlets in an in-process runspace, capturing output and error records.</summary>
internal sealed class HostedPowerShell : IDisposable
{
    private readonly Runspace _runspace;

    /// <param name="host">The host the runspace writes to (warnings a cmdlet writes straight to the host land there); PowerShell's default when null.</param>
    public HostedPowerShell(PSHost? host = null)
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { typeof(ConnectS3BackupCommand).Assembly.Location });
        _runspace = host is null ? RunspaceFactory.CreateRunspace(state) : RunspaceFactory.CreateRunspace(host, state);
        _runspace.Open();
    }

    public (IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var shell = Create(script, variables);
        var output = shell.Invoke().ToList();
        return (output, shell.Streams.Error.ToList());
    }

    public HostedRun RunAll(string script, IDictionary<string, object?>? variables = null)
    {
        using var shell = Create(script, variables);
        var output = shell.Invoke().ToList();
        return new HostedRun(output, shell.Streams.Error.ToList(), shell.Streams.Warning.Select(warning => warning.Message).ToList());
    }

    /// <summary>A PowerShell on this runspace with the script added, for tests that invoke (or stop) it themselves.</summary>
    public PowerShell Create(string script, IDictionary<string, object?>? variables = null)
    {
        var shell = PowerShell.Create();
        shell.Runspace = _runspace;
        foreach (var variable in variables ?? new Dictionary<string, object?>())
        {
            _runspace.SessionStateProxy.SetVariable(variable.Key, variable.Value);
        }
        shell.AddScript(script);
        return shell;
    }

    /// <summary>Makes <paramref name="session"/> the runspace's default session, as Connect-S3Backup would.</summary>
    public void UseSession(AwsSession session)
    {
        var previous = Runspace.DefaultRunspace;
        Runspace.DefaultRunspace = _runspace;
        try
        {
            SessionStore.ForCurrentRunspace().SetDefault(session);
        }
        finally
        {
            Runspace.DefaultRunspace = previous;
        }
    }

    /// <summary>Builds a session for <paramref name="request"/> and keeps it in the runspace's store, where -BackupSession and -SourceSession records find it.</summary>
    public AwsSession AddSession(SessionRequest request, IEnvironmentReader environment)
    {
        var previous = Runspace.DefaultRunspace;
        Runspace.DefaultRunspace = _runspace;
        try
        {
            return SessionStore.ForCurrentRunspace().Replace(request, environment);
        }
        finally
        {
            Runspace.DefaultRunspace = previous;
        }
    }

    public void Dispose() => _runspace.Dispose();
}
