using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Diagnostics;
using S3Replication.Records;

namespace S3Replication.Commands.Diagnostics;

/// <summary>Tries what the runbook needs of each bucket and says which permission is missing, instead of a bare AccessDenied.</summary>
[Cmdlet(VerbsDiagnostic.Test, "S3BackupAccess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(AccessCheckRecord), typeof(bool))]
public sealed class TestS3BackupAccessCommand : S3BackupCmdlet
{
    private static readonly string[] DefaultProbes = { "List", "Read", "Versioning", "Versions", "Replication" };

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string[] Bucket { get; set; } = Array.Empty<string>();

    /// <summary>Write and Undo are opt-in: each puts a probe object and deletes it (Undo: removes its version).</summary>
    [Parameter]
    [ValidateSet("List", "Read", "Write", "Versioning", "Versions", "Replication", "Undo")]
    public string[] Probe { get; set; } = DefaultProbes;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Key { get; set; }

    /// <summary>Writes only $true (every check allowed) or $false, for `if` statements and exit codes in runbooks.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    private AccessProbe? _probe;
    private bool _identityFailed;
    private bool _allAllowed = true;

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _probe = new AccessProbe(ResolveSession());
        var identity = await _probe.IdentityAsync(cancellationToken).ConfigureAwait(false);
        _identityFailed = identity.Outcome is AccessOutcome.Denied or AccessOutcome.Error;
        await ReportAsync(identity).ConfigureAwait(false);
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (_identityFailed)
        {
            // Without credentials every check would fail the same way; the Identity record already says why.
            return;
        }
        foreach (var bucket in Bucket)
        {
            await PerItemAsync(async () =>
            {
                try
                {
                    Transfer.ObjectSelection.RequireBucket(bucket, "");
                }
                catch (S3BackupException)
                {
                    _allAllowed = false;
                    throw;
                }
                foreach (var record in await CheckBucketAsync(bucket, cancellationToken).ConfigureAwait(false))
                {
                    await ReportAsync(record).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) =>
        Quiet ? WriteObjectAsync(_allAllowed) : Task.CompletedTask;

    private async Task<List<AccessCheck>> CheckBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        var probe = _probe!;
        var records = new List<AccessCheck> { await probe.RegionAsync(bucket, cancellationToken).ConfigureAwait(false) };
        string? firstKey = null;
        if (Wants("List"))
        {
            var (listed, first) = await probe.ListAsync(bucket, cancellationToken).ConfigureAwait(false);
            records.Add(listed);
            firstKey = first;
        }
        if (Wants("Read"))
        {
            var readKey = Key ?? firstKey;
            records.Add(readKey is not null
                ? await probe.ReadAsync(bucket, readKey, cancellationToken).ConfigureAwait(false)
                : new AccessCheck
                {
                    Bucket = bucket, Check = "Read", Action = "s3:GetObject", Target = AccessProbe.ObjectArn(bucket, "*"), Outcome = AccessOutcome.Skipped,
                    Hint = Wants("List") ? "Nothing to read: the bucket is empty or could not be listed; give -Key to read a known object."
                        : "Give -Key (or the List probe) so there is an object to read.",
                });
        }
        if (Wants("Write") && await ShouldProcessAsync($"s3://{bucket}/{AccessProbe.ProbePrefix}…", "Write and delete a probe object").ConfigureAwait(false))
        {
            records.AddRange(await probe.WriteAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        if (Wants("Versioning"))
        {
            records.Add(await probe.VersioningAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        if (Wants("Versions"))
        {
            records.AddRange(await probe.VersionsAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        if (Wants("Replication"))
        {
            records.Add(await probe.ReplicationAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        if (Wants("Undo") && await ShouldProcessAsync($"s3://{bucket}/{AccessProbe.ProbePrefix}…", "Write a probe object and remove its version (what Undo-S3BackupRestore needs)")
            .ConfigureAwait(false))
        {
            records.AddRange(await probe.UndoAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        return records;
    }

    private bool Wants(string probe) => Probe.Contains(probe, StringComparer.OrdinalIgnoreCase);

    private Task ReportAsync(AccessCheck record)
    {
        if (record.Outcome is AccessOutcome.Denied or AccessOutcome.Error)
        {
            _allAllowed = false;
        }
        return Quiet ? WriteVerboseAsync(record.ToRecord().ToString()) : WriteObjectAsync(record.ToRecord());
    }
}
