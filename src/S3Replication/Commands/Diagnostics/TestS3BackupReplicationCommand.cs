using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Diagnostics;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Commands.Diagnostics;

/// <summary>
/// Is replication set up and working: the rule, versioning on both buckets, the role's trust and permissions, the backup
/// bucket's policy and ownership, SSE-KMS, the newest objects' replication statuses, and with -Canary a real object
/// replicated end to end. One record per finding, each with the fix where something is wrong.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "S3BackupReplication", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ReplicationCheckRecord), typeof(bool))]
public sealed class TestS3BackupReplicationCommand : S3BackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Bucket")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";

    /// <summary>The backup bucket; without it, the one the source's rules replicate to.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("DestinationBucket")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string? BackupBucket { get; set; }

    /// <summary>A session in the backup account: reads the backup bucket's policy, ownership and versioning, and the canary's replica.</summary>
    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? BackupSession { get; set; }

    /// <summary>The replication role, where the configuration does not name one (S3-compatible servers may not keep it; AWS always does).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RoleArn { get; set; }

    /// <summary>How many of the newest source objects to read the replication status of; 0 leaves the sample out.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int Sample { get; set; } = 100;

    /// <summary>Objects PENDING for longer than this are reported.</summary>
    [Parameter]
    [Duration]
    public TimeSpan PendingThreshold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Write a small object to the source, wait for its replica in the backup, then remove both.</summary>
    [Parameter]
    public SwitchParameter Canary { get; set; }

    /// <summary>How long the canary waits for its replica.</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Writes only $true (nothing failed and nothing unreadable) or $false, for `if` statements and exit codes in runbooks.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    private readonly HashSet<(string, string?)> _checked = new();
    private bool _healthy = true;
    private ReplicationCanary? _canary;

    /// <summary>A stop during the canary says whether its object was removed again (the clean-up runs before this is asked).</summary>
    private protected override string? DescribeStop() => _canary?.StopNote is { } note ? note + "." : null;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (RoleArn is not null)
        {
            S3Replication.Batch.BatchJobSetup.RequireRoleArn(RoleArn);
        }
        return Task.CompletedTask;
    }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        Transfer.ObjectSelection.RequireBucket(SourceBucket, "source");
        if (BackupBucket is not null)
        {
            Transfer.ObjectSelection.RequireBucket(BackupBucket, "backup");
        }
        // Piped rule records name a bucket once per rule: each pair is checked once.
        if (!_checked.Add((SourceBucket, BackupBucket)))
        {
            return;
        }
        try
        {
            await CheckAsync(SourceBucket, BackupBucket, cancellationToken).ConfigureAwait(false);
        }
        catch (Core.S3BackupException)
        {
            _healthy = false;
            throw;
        }
    });

    /// <summary>With -Quiet, $true only when at least one bucket pair was checked and nothing failed: an empty pipeline proves nothing.</summary>
    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (_checked.Count == 0)
        {
            await WriteWarningAsync("No bucket was checked: nothing came down the pipeline (or every input was refused).").ConfigureAwait(false);
        }
        if (Quiet)
        {
            await WriteObjectAsync(_healthy && _checked.Count > 0).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(string sourceBucket, string? backupBucket, CancellationToken cancellationToken)
    {
        var source = ResolveSession();
        var backup = BackupSession is null ? null : FromRecord(BackupSession);
        var inspector = new ReplicationInspector(source, backup);
        var counts = new Dictionary<FindingOutcome, int>();
        // Read with a profile named here, the fixes must act with it too, wherever they are pasted.
        var hintProfile = ProfileName is not null || Session is not null ? source.ProfileName : null;
        async Task ReportAsync(IEnumerable<ReplicationFinding> findings, string? backupName)
        {
            foreach (var found in findings)
            {
                var finding = hintProfile is not null && found.Hint is { } hint ? found with { Hint = ReplicationHints.WithProfile(hint, hintProfile) } : found;
                counts[finding.Outcome] = counts.TryGetValue(finding.Outcome, out var count) ? count + 1 : 1;
                _healthy &= !finding.IsProblem;
                var record = finding.ToRecord(sourceBucket, backupName);
                await (Quiet ? WriteVerboseAsync(record.ToString()) : WriteObjectAsync(record)).ConfigureAwait(false);
            }
        }

        var (rules, configuredRole) = await inspector.RulesAsync(sourceBucket, cancellationToken).ConfigureAwait(false);
        var (ruleFindings, rule) = ReplicationRuleReview.Review(sourceBucket, backupBucket, rules, configuredRole, RoleArn);
        var backupName = rule?.BackupBucket ?? backupBucket;
        await ReportAsync(ruleFindings, backupName).ConfigureAwait(false);
        await ReportAsync(await inspector.VersioningAsync(sourceBucket, isBackup: false, cancellationToken).ConfigureAwait(false), backupName).ConfigureAwait(false);
        if (backupName is not null)
        {
            await ReportAsync(await inspector.VersioningAsync(backupName, isBackup: true, cancellationToken).ConfigureAwait(false), backupName).ConfigureAwait(false);
        }
        if (rule is not null)
        {
            await CheckRuleAsync(inspector, source, backup, sourceBucket, rule, findings => ReportAsync(findings, rule.BackupBucket), cancellationToken).ConfigureAwait(false);
        }
        var summary = $"Replication of s3://{sourceBucket}{(backupName is null ? "" : $" to s3://{backupName}")}: " +
            string.Join(", ", counts.OrderBy(entry => entry.Key).Select(entry => $"{entry.Value} {entry.Key}")) + ".";
        await (Quiet ? WriteVerboseAsync(summary) : WriteInformationAsync(summary, "S3Replication.Summary")).ConfigureAwait(false);
    }

    private async Task CheckRuleAsync(ReplicationInspector inspector, AwsSession source, AwsSession? backup, string sourceBucket, ReviewedRule rule,
        Func<IEnumerable<ReplicationFinding>, Task> reportAsync, CancellationToken cancellationToken)
    {
        var sourceAccount = (rule.RoleArn is null ? null : AwsNames.AccountOf(rule.RoleArn))
            ?? await BucketOwnership.AccountOfAsync(source, note => _ = WriteVerboseAsync(note), cancellationToken).ConfigureAwait(false);
        var backupAccount = (backup is null ? null : await BucketOwnership.AccountOfAsync(backup, note => _ = WriteVerboseAsync(note), cancellationToken).ConfigureAwait(false))
            ?? (rule.Rule.DestinationAccountId is { Length: > 0 } account ? account : null);

        var encryption = await inspector.EncryptionAsync(sourceBucket, cancellationToken).ConfigureAwait(false);
        var (sample, sampleFindings) = await ReadSampleAsync(inspector, sourceBucket, rule, cancellationToken).ConfigureAwait(false);

        if (rule.RoleArn is { } roleArn)
        {
            await reportAsync(await inspector.TrustAsync(roleArn, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            // A sampled object names its key by ARN; the bucket's default may name it by id or alias.
            var region = source.S3Settings.Region;
            var sourceKey = KmsKeyArns.Of(sample.FirstOrDefault(item => item.SseKms)?.KmsKeyId ?? encryption.KmsKeyId, region, sourceAccount);
            var replicaKey = KmsKeyArns.Of(rule.Rule.ReplicaKmsKeyId, region, backupAccount);
            var needs = ReplicationPermissions.OfRole(sourceBucket, rule, sourceKey, replicaKey);
            await reportAsync(await inspector.RolePolicyAsync(roleArn, needs, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            await reportAsync(await inspector.BucketPolicyAsync(rule, roleArn, sourceAccount, backupAccount, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        else
        {
            await reportAsync(new[]
            {
                new ReplicationFinding("Trust", $"s3://{sourceBucket}", FindingOutcome.Skipped,
                    "The replication configuration names no role (AWS always stores it; this server did not), so the role's trust and policies were not checked.",
                    "Give -RoleArn with the replication role."),
            }).ConfigureAwait(false);
        }
        await reportAsync(await inspector.OwnershipAsync(rule, sourceAccount, backupAccount, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        await reportAsync(new[] { ReplicationEncryption.Finding(sourceBucket, rule, encryption, sample) }).ConfigureAwait(false);
        await reportAsync(sampleFindings).ConfigureAwait(false);

        if (Canary)
        {
            if (!rule.Enabled)
            {
                await reportAsync(new[] { new ReplicationFinding(ReplicationCanary.Check, $"s3://{sourceBucket}", FindingOutcome.Skipped,
                    "No canary: the rule is disabled, so nothing would be replicated.") }).ConfigureAwait(false);
            }
            else if (await ShouldProcessAsync($"s3://{sourceBucket}/{(rule.WholeBucket ? "" : rule.Rule.Prefix)}{ReplicationCanary.CanaryFolder}…",
                $"Write a 64-byte canary object, wait up to {ReplicationSample.Describe(Timeout)} for its replica in s3://{rule.BackupBucket}, then delete both").ConfigureAwait(false))
            {
                var canary = _canary = new ReplicationCanary(source, inspector.BackupReader);
                var progress = new ProgressThrottle();
                await reportAsync(await canary.RunAsync(sourceBucket, rule, Timeout, waited =>
                {
                    if (progress.Due())
                    {
                        _ = WriteProgressAsync(new ProgressRecord(1, "Replication canary", $"Waiting for the replica in s3://{rule.BackupBucket}: {waited.TotalSeconds:0} s")
                        {
                            PercentComplete = (int)Math.Min(100, waited.TotalMilliseconds * 100 / Timeout.TotalMilliseconds),
                        });
                    }
                }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                await WriteProgressAsync(new ProgressRecord(1, "Replication canary", "Done") { RecordType = ProgressRecordType.Completed }).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The sampled objects and the Sample findings; the listing shows progress, as it reads the whole rule's key space.</summary>
    private async Task<(IReadOnlyList<SampledObject> Sample, IReadOnlyList<ReplicationFinding> Findings)> ReadSampleAsync(ReplicationInspector inspector, string sourceBucket,
        ReviewedRule rule, CancellationToken cancellationToken)
    {
        if (Sample == 0)
        {
            return (Array.Empty<SampledObject>(), Array.Empty<ReplicationFinding>());
        }
        var progress = new ProgressThrottle();
        IReadOnlyList<SampledObject> sample = Array.Empty<SampledObject>();
        var findings = await ReplicationInspector.GuardAsync(ReplicationSample.Check, $"s3://{sourceBucket}", async () =>
        {
            sample = await inspector.SampleAsync(sourceBucket, rule, Sample, listed =>
            {
                if (progress.Due())
                {
                    _ = WriteProgressAsync(new ProgressRecord(2, "Replication sample", $"Listing s3://{sourceBucket} for its {Sample} newest objects: {listed:N0} listed"));
                }
            }, cancellationToken).ConfigureAwait(false);
            return ReplicationSample.Findings(sourceBucket, rule, sample, DateTime.UtcNow, PendingThreshold);
        }).ConfigureAwait(false);
        await WriteProgressAsync(new ProgressRecord(2, "Replication sample", "Done") { RecordType = ProgressRecordType.Completed }).ConfigureAwait(false);
        return (sample, findings);
    }
}
