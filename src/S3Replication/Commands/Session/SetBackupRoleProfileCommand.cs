using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands.Session;

/// <summary>
/// Writes or updates a <c>role_arn</c> + <c>source_profile</c> profile in the AWS config file, keeping every other
/// byte of the file; atomic, permission-preserving, and never writes a secret.
/// </summary>
[Cmdlet(VerbsCommon.Set, "BackupRoleProfile", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AwsProfileRecord))]
public sealed class SetBackupRoleProfileCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProfileNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string RoleArn { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProfileNameCompleter))]
    public string SourceProfile { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Region { get; set; }

    /// <summary>Written as the profile's <c>endpoint_url</c>: the S3-compatible server (and its STS) the role is used with.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? EndpointUrl { get; set; }

    /// <summary>
    /// Copies the source profile's region, endpoint, services, checksum, CA bundle and retry settings, so the role
    /// profile reaches the same server; -Region and -EndpointUrl still win.
    /// </summary>
    [Parameter]
    public SwitchParameter CopySourceSettings { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ExternalId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? MfaSerial { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(AwsNames.MinRoleDurationSeconds, AwsNames.MaxRoleDurationSeconds)]
    public int? DurationSeconds { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? RoleSessionName { get; set; }

    /// <summary>The config file to edit; default AWS_CONFIG_FILE, else ~/.aws/config.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigFile { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            Apply();
        }
        catch (S3BackupException failure)
        {
            WriteError(failure.ToErrorRecord());
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(error, "ConfigFileWriteFailed", ErrorCategory.WriteError, ConfigFile));
        }
    }

    private void Apply()
    {
        var located = ProfileFiles.Locate(ProcessEnvironment.Instance);
        var path = ConfigFile is null ? located.ConfigPath : GetUnresolvedProviderPathFromPSPath(ConfigFile);
        var original = File.Exists(path) ? AtomicFile.ReadAllText(path) : "";
        var copied = CopySourceSettings ? RoleProfileEditor.ConnectionSettingsOf(original, SourceProfile) : null;
        var spec = new RoleProfileSpec(Name, RoleArn, SourceProfile, Region, ExternalId, MfaSerial, DurationSeconds, RoleSessionName, EndpointUrl, copied);
        RoleProfileEditor.Validate(spec);
        RequireSourceProfile(path, original, located.CredentialsPath);
        var edit = RoleProfileEditor.Apply(original, spec, path);
        var missing = RoleProfileEditor.MissingConnectionSettings(original, edit, SourceProfile);
        if (missing.Count > 0)
        {
            WriteWarning($"The source profile '{SourceProfile}' sets {string.Join(", ", missing)}, and [{edit.Header}] will not: the role profile " +
                "is read on its own, so its STS and S3 requests go where those settings say (by default AWS). Add -CopySourceSettings to copy them.");
        }
        if (!edit.Changed)
        {
            WriteVerbose($"[{edit.Header}] in {path} already has these settings; nothing to change.");
        }
        else
        {
            var verb = edit.Created ? "Add" : "Update";
            var change = string.Join(Environment.NewLine,
                edit.Before.Select(line => "  - " + line).Concat(edit.After.Select(line => "  + " + line)));
            var description = $"{verb} [{edit.Header}] in {path}:{Environment.NewLine}{change}";
            if (!ShouldProcess(description, $"{verb} [{edit.Header}] in {path}?", "Set-BackupRoleProfile"))
            {
                return;
            }
            AtomicFile.WriteAllText(path, edit.NewText, written => written == edit.NewText);
            WriteVerbose(description);
        }

        if (PassThru)
        {
            WriteObject(ProfileLister.DescribeRoleSection(Name, edit.NewText, path));
        }
    }

    private void RequireSourceProfile(string configPath, string configText, string credentialsPath)
    {
        var inConfig = IniDocument.Parse(configText).FindSections(ProfileCatalog.ConfigHeaderFor(SourceProfile)).Count > 0;
        var credentials = ProfileCatalog.ReadValidated(credentialsPath);
        var inCredentials = credentials?.FindSections(SourceProfile).Count > 0;
        if (!inConfig && !inCredentials)
        {
            throw new S3BackupException(ErrorId.SourceProfileMissing, ErrorCategory.ObjectNotFound,
                $"The source profile '{SourceProfile}' is not defined in {configPath} or {credentialsPath}; create it first " +
                "(aws configure --profile " + SourceProfile + ") so the role can be assumed. Nothing was changed.", SourceProfile);
        }
    }
}
