using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;
using S3Replication.Session;

namespace S3Replication.Commands.Replication;

/// <summary>Adds a backup replication rule to a bucket's configuration, keeping every rule already there.</summary>
[Cmdlet(VerbsCommon.New, "S3BackupReplicationRule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = RoleArnSet)]
[OutputType(typeof(ReplicationRuleRecord))]
public sealed class NewS3BackupReplicationRuleCommand : S3BackupCmdlet
{
    private const string RoleArnSet = "RoleArn";
    private const string RoleNameSet = "RoleName";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Bucket")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string DestinationBucket { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string DestinationAccountId { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = RoleArnSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? RoleArn { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = RoleNameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoleNameCompleter))]
    public string? RoleName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string RuleId { get; set; } = ReplicationRuleSpec.DefaultRuleId;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    [Parameter]
    [ValidateNotNull]
    public Hashtable? Tag { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, int.MaxValue)]
    public int? Priority { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(StorageClassCompleter))]
    [ValidateNotNullOrEmpty]
    public string? StorageClass { get; set; }

    [Parameter]
    public SwitchParameter DeleteMarkerReplication { get; set; }

    [Parameter]
    public SwitchParameter OwnerOverride { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ReplicaKmsKeyId { get; set; }

    [Parameter]
    public SwitchParameter Disabled { get; set; }

    /// <summary>Replace a rule with the same ID instead of refusing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter EnableVersioning { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        var session = ResolveSession();
        var spec = new ReplicationRuleSpec(
            ReplicationRuleSpec.BucketName(SourceBucket),
            ReplicationRuleSpec.BucketName(DestinationBucket),
            DestinationAccountId,
            RoleArn ?? "",
            RuleId,
            Prefix,
            TagsOf(Tag),
            Priority,
            StorageClass,
            DeleteMarkerReplication,
            OwnerOverride,
            ReplicaKmsKeyId,
            Disabled);
        spec.ValidateShape();
        if (RoleName is not null)
        {
            spec = spec with { RoleArn = await RoleArnFromNameAsync(session, RoleName, cancellationToken).ConfigureAwait(false) };
        }
        spec.Validate();

        var service = new ReplicationService(session.S3);
        await RequireVersioningAsync(service, spec.SourceBucket, mustRead: true, cancellationToken).ConfigureAwait(false);
        await RequireVersioningAsync(service, spec.DestinationBucket, mustRead: false, cancellationToken).ConfigureAwait(false);

        var change = await service.ReadModifyWriteAsync(spec.SourceBucket, spec.RuleId,
            existing => ConfigurationMerger.Add(existing, spec, Force),
            (before, after) => ShouldProcessAsync(
                ReplicationPreview.Describe($"Add replication rule '{spec.RuleId}'", spec.SourceBucket, before, after),
                $"Add replication rule '{spec.RuleId}' to bucket {spec.SourceBucket}?",
                "New-S3BackupReplicationRule"),
            cancellationToken).ConfigureAwait(false);
        if (!change.Written)
        {
            return;
        }

        await WriteVerboseAsync($"Rule '{spec.RuleId}' added to bucket {spec.SourceBucket} ({change.Attempts} write(s)). Objects that already exist " +
            "are not replicated by it: use Compare-S3BackupBucket to find them and Sync-S3BackupToSource to copy them.").ConfigureAwait(false);
        var rule = change.After!.Rules.Single(candidate => candidate.Id == spec.RuleId);
        await WriteObjectAsync(ReplicationRules.ToRecord(spec.SourceBucket, change.After.Role, rule)).ConfigureAwait(false);
    });

    private async Task RequireVersioningAsync(ReplicationService service, string bucket, bool mustRead, CancellationToken cancellationToken)
    {
        string status;
        try
        {
            status = await service.GetVersioningAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (S3BackupException error) when (!mustRead && ReplicationService.IsDeniedOrMissing(error))
        {
            await WriteVerboseAsync($"The versioning state of destination bucket {bucket} cannot be read with these credentials (it usually " +
                "belongs to the backup account); replication needs versioning enabled there too.").ConfigureAwait(false);
            return;
        }
        if (status == "Enabled")
        {
            return;
        }
        if (!EnableVersioning)
        {
            throw new S3BackupException(ErrorId.VersioningNotEnabled, ErrorCategory.InvalidOperation,
                $"Bucket {bucket} has versioning {status}; S3 replication needs it Enabled on the source and destination buckets. " +
                "Run again with -EnableVersioning to turn it on. Nothing was changed.", bucket);
        }
        if (await ShouldProcessAsync($"bucket {bucket}", "Enable versioning").ConfigureAwait(false))
        {
            await service.EnableVersioningAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>-RoleName becomes a role in the caller's own (source) account.</summary>
    private static async Task<string> RoleArnFromNameAsync(AwsSession session, string roleName, CancellationToken cancellationToken)
    {
        var identity = await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
        if (identity.Arn is null)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidOperation,
                "-RoleName needs the source account, and this endpoint does not say who the caller is (no STS GetCallerIdentity). " +
                "Pass the full -RoleArn instead.", roleName);
        }
        var partition = identity.Arn.Split(':')[1];
        return $"arn:{partition}:iam::{identity.Account}:role/{roleName}";
    }

    private static IReadOnlyDictionary<string, string> TagsOf(Hashtable? tags) =>
        tags is null
            ? new Dictionary<string, string>()
            : tags.Cast<DictionaryEntry>().ToDictionary(entry => entry.Key?.ToString() ?? "", entry => entry.Value?.ToString() ?? "");
}
