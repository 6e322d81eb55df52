using System.Linq;
using System.Management.Automation;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Core;

namespace S3Replication.Commands.Session;

/// <summary>Lists the profiles of the shared config and credentials files: kind, role, source, region, endpoint, file, and an SSO profile's sign-in state.</summary>
[Cmdlet(VerbsCommon.Get, "AwsConfigProfile")]
[OutputType(typeof(AwsProfileRecord))]
public sealed class GetAwsConfigProfileCommand : PSCmdlet
{
    /// <summary>Profile names to show; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProfileNameCompleter))]
    public string[]? Name { get; set; }

    private ProfileCatalog? _catalog;

    protected override void BeginProcessing()
    {
        try
        {
            _catalog = ProfileCatalog.Load(ProfileFiles.Locate(ProcessEnvironment.Instance));
        }
        catch (S3BackupException failure)
        {
            ThrowTerminatingError(failure.ToErrorRecord());
        }
    }

    protected override void ProcessRecord()
    {
        var catalog = _catalog!;
        if (Name is null)
        {
            WriteObject(ProfileLister.List(catalog, SsoTokenCache.For(ProcessEnvironment.Instance)), enumerateCollection: true);
            return;
        }
        foreach (var pattern in Name)
        {
            var matcher = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = catalog.ProfileNames.Where(matcher.IsMatch).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(new S3BackupException(ErrorId.ProfileNotFound, ErrorCategory.ObjectNotFound,
                    $"Profile '{pattern}' is not defined in {catalog.Files.ConfigPath} or {catalog.Files.CredentialsPath}.", pattern).ToErrorRecord());
            }
            foreach (var name in matches)
            {
                WriteObject(ProfileLister.Describe(catalog, name, SsoTokenCache.For(ProcessEnvironment.Instance)));
            }
        }
    }
}
