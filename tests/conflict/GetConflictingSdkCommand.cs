using System.Management.Automation;
using Amazon.Runtime;

namespace ConflictingSdk;

/// <summary>Uses its AWSSDK.Core and says which one it got.</summary>
[Cmdlet(VerbsCommon.Get, "ConflictingSdk")]
public sealed class GetConflictingSdkCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        var credentials = new BasicAWSCredentials("AKIACONFLICT", "conflictSecret").GetCredentials();
        var assembly = typeof(AWSCredentials).Assembly;
        WriteObject(new PSObject(new
        {
            AssemblyVersion = assembly.GetName().Version?.ToString(),
            FileVersion = System.Diagnostics.FileVersionInfo.GetVersionInfo(assembly.Location).FileVersion,
            Works = credentials.AccessKey == "AKIACONFLICT",
        }));
    }
}
