using System.Management.Automation;
using S3Replication.Session;

namespace S3Replication.Commands.Session;

/// <summary>Forgets the runspace's default session and every cached client and role credential.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "S3Backup")]
[OutputType(typeof(void))]
public sealed class DisconnectS3BackupCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        var store = SessionStore.ForCurrentRunspace();
        if (store.Default is null)
        {
            WriteVerbose("There was no default session.");
        }
        store.Clear();
    }
}
