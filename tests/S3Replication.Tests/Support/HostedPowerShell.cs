using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using S3Replication.Commands.Session;

namespace S3Replication.Tests.Support;

/// <summary>Runs the module's cmdlets in an in-process runspace, capturing output and error records.</summary>
internal sealed class HostedPowerShell : IDisposable
{
    private readonly Runspace _runspace;

    public HostedPowerShell()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { typeof(ConnectS3BackupCommand).Assembly.Location });
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
    }

    public (IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var shell = PowerShell.Create();
        shell.Runspace = _runspace;
        foreach (var variable in variables ?? new Dictionary<string, object?>())
        {
            _runspace.SessionStateProxy.SetVariable(variable.Key, variable.Value);
        }
        shell.AddScript(script);
        var output = shell.Invoke().ToList();
        return (output, shell.Streams.Error.ToList());
    }

    public void Dispose() => _runspace.Dispose();
}
