using System.Management.Automation;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands.Session;

/// <summary>Shows the runspace's default session (from Connect-S3Backup); nothing when there is none.</summary>
[Cmdlet(VerbsCommon.Get, "S3BackupSession")]
[OutputType(typeof(S3BackupSession))]
public sealed class GetS3BackupSessionCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        var store = SessionStore.ForCurrentRunspace();
        if (store.Default is { } session)
        {
            WriteObject(session.ToRecord(isDefault: true));
        }
        else
        {
            WriteVerbose("No default session: run Connect-S3Backup, or pass -ProfileName to each cmdlet.");
        }
    }
}
