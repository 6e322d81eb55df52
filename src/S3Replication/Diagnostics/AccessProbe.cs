using System;
using System.Linq;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Diagnostics;

/// <summary>
/// Tries, one request each, what the runbook needs of a bucket and reports each as an <see cref="AccessCheck"/>.
/// A denial is a finding, not a failure: every check runs and reports, whatever the others found.
/// </summary>
internal sealed class AccessProbe
{
    /// <summary>Where write probes go, so a lifecycle rule or an operator can recognise (and expire) any leftover.</summary>
    public const string ProbePrefix = "s3backup-access-probe/";

    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);
    private static readonly Regex AwsRegionShape = new(@"^[a-z]{2}(-[a-z]+)+-\d+$", RegexOptions.CultureInvariant);
    private readonly AwsSession _session;
    private readonly string _region;

    public AccessProbe(AwsSession session)
    {
        _session = session;
        _region = session.S3Settings.Region;
    }

    private IAmazonS3 S3 => _session.S3;

    public static string BucketArn(string bucket) => $"arn:aws:s3:::{bucket}";

    public static string ObjectArn(string bucket, string key) => $"arn:aws:s3:::{bucket}/{key}";

    /// <summary>Obtains the credentials (assuming the role where the profile says so) and learns who they belong to.</summary>
    public async Task<AccessCheck> IdentityAsync(CancellationToken cancellationToken)
    {
        var roleArn = _session.Plan.RoleArn;
        var record = new AccessCheck
        {
            Check = "Identity",
            Target = _session.ProfileName ?? "(default credentials)",
            Action = roleArn is null ? "sts:GetCallerIdentity" : "sts:AssumeRole",
        };
        try
        {
            await _session.EnsureCredentialsAsync().ConfigureAwait(false);
            var identity = await _session.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
            if (identity.Arn is not null)
            {
                record.Outcome = AccessOutcome.Allowed;
                record.Detail = identity.Arn;
            }
            else if (roleArn is not null)
            {
                // STS answered AssumeRole, which is the check; only the session's own ARN is not known.
                record.Outcome = AccessOutcome.Allowed;
                record.Detail = $"assumed {roleArn} (this endpoint does not say the session's ARN)";
            }
            else
            {
                record.Outcome = AccessOutcome.Skipped;
                record.Hint = "This endpoint does not answer sts:GetCallerIdentity, so the keys were not checked on their own; the bucket checks show what they may do.";
            }
        }
        catch (S3BackupException error)
        {
            // Assuming the role failed (the credential provider already explains why and what to do).
            record.Outcome = error.ErrorId == ErrorId.AccessDenied ? AccessOutcome.Denied : AccessOutcome.Error;
            record.ErrorCode = error.ErrorId.ToString();
            record.Hint = error.Message;
        }
        catch (AmazonServiceException error) when (!cancellationToken.IsCancellationRequested)
        {
            var denied = error.StatusCode == System.Net.HttpStatusCode.Forbidden;
            record.Outcome = denied ? AccessOutcome.Denied : AccessOutcome.Error;
            record.ErrorCode = error.ErrorCode ?? ((int)error.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            record.Hint = denied && roleArn is not null
                ? $"Assuming {roleArn} was refused: the role's trust policy must name the source identity (Add-BackupRoleTrustPrincipal), " +
                  $"and that identity needs sts:AssumeRole on {roleArn}."
                : $"The credentials of {record.Target} were refused ({AwsErrors.CodeAndMessage(error)}): check the keys in the profile.";
        }
        catch (Exception error) when (IsConnectionFailure(error, cancellationToken))
        {
            record.Outcome = AccessOutcome.Error;
            record.ErrorCode = "CredentialsFailed";
            record.Hint = $"No credentials for {record.Target}: {error.Message}";
        }
        return record;
    }

    /// <summary>
    /// Where the bucket lives compared with the session's region. Not a permission the runbook needs, so a refusal
    /// is Skipped rather than Denied.
    /// </summary>
    public async Task<AccessCheck> RegionAsync(string bucket, CancellationToken cancellationToken)
    {
        string? location = null;
        var record = await CheckAsync(bucket, "Region", "s3:GetBucketLocation", BucketArn(bucket), async () =>
        {
            var response = await S3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            location = RegionOf(response.Location?.Value);
            return AwsRegionShape.IsMatch(location)
                ? $"bucket in {location}, session in {_region}"
                : $"the server names the bucket's zone group '{location}', not an AWS region; requests are signed for {_region}";
        }, cancellationToken).ConfigureAwait(false);
        if (record.Outcome == AccessOutcome.Denied)
        {
            record.Outcome = AccessOutcome.Skipped;
            record.Hint = $"The region was not verified: s3:GetBucketLocation on {BucketArn(bucket)} is not allowed (the runbook does not need it).";
        }
        else if (location is not null && AwsRegionShape.IsMatch(location) && location != _region)
        {
            record.Outcome = AccessOutcome.Error;
            record.ErrorCode = "WrongRegion";
            record.Hint = $"The bucket is in region {location}, not {_region}: add -Region {location} (or set region = {location} in the profile).";
        }
        return record;
    }

    /// <summary>Lists one key; returns it so the Read check has something to read when no key was given.</summary>
    public async Task<(AccessCheck Record, string? FirstKey)> ListAsync(string bucket, CancellationToken cancellationToken)
    {
        string? firstKey = null;
        var record = await CheckAsync(bucket, "List", "s3:ListBucket", BucketArn(bucket), async () =>
        {
            var response = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
            firstKey = response.S3Objects is { Count: > 0 } objects ? objects[0].Key : null;
            return firstKey is null ? "the bucket is empty" : $"first key {firstKey}";
        }, cancellationToken).ConfigureAwait(false);
        return (record, firstKey);
    }

    /// <summary>Reads the first byte of an object: enough to prove s3:GetObject (and the KMS key, if any) without downloading it.</summary>
    public Task<AccessCheck> ReadAsync(string bucket, string key, CancellationToken cancellationToken) =>
        CheckAsync(bucket, "Read", "s3:GetObject", ObjectArn(bucket, key), async () =>
        {
            try
            {
                using var response = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(0, 0) },
                    cancellationToken).ConfigureAwait(false);
                await response.ResponseStream.CopyToAsync(Stream.Null, 81920, cancellationToken).ConfigureAwait(false);
                var encryption = response.ServerSideEncryptionMethod is { } method && method != ServerSideEncryptionMethod.None ? $", encrypted with {method}" : "";
                return $"read {key}{encryption}";
            }
            catch (AmazonS3Exception error) when (error.ErrorCode == "InvalidRange")
            {
                return $"read {key} (empty object)";
            }
        }, cancellationToken);

    /// <summary>
    /// Writes a uniquely named probe object and deletes it again: a Write and a Delete record. The probe is removed
    /// whatever happens after it may have been written, cancellation included; in a versioned bucket its version is
    /// deleted, so nothing of it survives.
    /// </summary>
    public async Task<IReadOnlyList<AccessCheck>> WriteAsync(string bucket, CancellationToken cancellationToken)
    {
        var key = ProbePrefix + Guid.NewGuid().ToString("N");
        var records = new List<AccessCheck>();
        string? versionId = null;
        var written = false;
        try
        {
            records.Add(await PutProbeAsync(bucket, key, id => (written, versionId) = (true, id), cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            // Also when cancelled mid-PUT: the object may exist though the response never arrived.
            if (written || cancellationToken.IsCancellationRequested)
            {
                records.Add(await DeleteProbeAsync(bucket, key, versionId).ConfigureAwait(false));
            }
        }
        return records;
    }

    /// <summary>
    /// What Undo-S3BackupRestore needs of a source bucket, proven on a probe object of its own so that no data is touched:
    /// it writes one under <see cref="ProbePrefix"/> (as the Write probe does), reads that key's versions the way the undo
    /// does (UndoCheck: s3:ListBucketVersions) and removes that exact version (Undo: s3:DeleteObjectVersion), which leaves
    /// nothing of the probe behind. Where the probe cannot be written, or the bucket keeps no versions, the Undo check is
    /// Skipped and says why it could not be tried. Cancelled after the write, the probe's version is still removed.
    /// </summary>
    public async Task<IReadOnlyList<AccessCheck>> UndoAsync(string bucket, CancellationToken cancellationToken)
    {
        var key = ProbePrefix + Guid.NewGuid().ToString("N");
        var records = new List<AccessCheck>();
        string? versionId = null;
        var written = false;
        var removed = false;
        AccessCheck Skipped(string hint) => new()
        {
            Bucket = bucket, Check = "Undo", Action = "s3:DeleteObjectVersion", Target = ObjectArn(bucket, "*"), Outcome = AccessOutcome.Skipped, Hint = hint,
        };
        try
        {
            var write = await PutProbeAsync(bucket, key, id => (written, versionId) = (true, id), cancellationToken).ConfigureAwait(false);
            if (write.Outcome != AccessOutcome.Allowed)
            {
                records.Add(Skipped($"Could not be tried: it removes a version of a probe object it writes first, and writing one was {write.Outcome.ToString().ToLowerInvariant()} " +
                    $"({write.ErrorCode}). {write.Hint}"));
                return records;
            }
            if (versionId is null)
            {
                records.Add(Skipped($"Could not be tried: s3://{bucket} keeps no versions (versioning off or suspended), so a restore into it creates none and " +
                    "Undo-S3BackupRestore has nothing to remove there (its records name no SourceVersionId). Enable versioning to make restores undoable."));
                return records;
            }
            var version = versionId;
            records.Add(await CheckAsync(bucket, "UndoCheck", "s3:ListBucketVersions", BucketArn(bucket), async () =>
            {
                var response = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = key, MaxKeys = 2 }, cancellationToken).ConfigureAwait(false);
                var current = response.Versions?.FirstOrDefault(listed => listed.Key == key);
                return current?.VersionId == version
                    ? $"read the versions of {key}: {version} is current"
                    : $"read the versions of {key}, but its current version is {current?.VersionId ?? "not listed"}, not {version}";
            }, cancellationToken).ConfigureAwait(false));
            var undo = await CheckAsync(bucket, "Undo", "s3:DeleteObjectVersion", ObjectArn(bucket, "*"), async () =>
            {
                await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = version }, cancellationToken).ConfigureAwait(false);
                removed = true;
                return $"removed version {version} of {key}";
            }, cancellationToken).ConfigureAwait(false);
            if (!removed)
            {
                undo.Hint += $" The probe version {version} of s3://{bucket}/{key} remains: remove it with an identity that may.";
            }
            records.Add(undo);
        }
        finally
        {
            // Unversioned: the probe is deleted again; cancelled (even mid-PUT): its version, if it was written, is removed.
            if (!removed && (written || cancellationToken.IsCancellationRequested) && (versionId is null || cancellationToken.IsCancellationRequested))
            {
                var cleanup = await DeleteProbeAsync(bucket, key, versionId).ConfigureAwait(false);
                if (cleanup.Outcome != AccessOutcome.Allowed)
                {
                    records.Add(cleanup);
                }
            }
        }
        return records;
    }

    /// <summary>
    /// The Write check: puts a probe object at <paramref name="key"/> with the ACL this identity's uploads and restores
    /// would send there (-Acl Auto, for the account the Identity check learned), so that a role AWS would refuse for
    /// s3:PutObjectAcl is refused here too;
    /// <paramref name="written"/> hears its version id (null where the bucket keeps none).
    /// </summary>
    private async Task<AccessCheck> PutProbeAsync(string bucket, string key, Action<string?> written, CancellationToken cancellationToken)
    {
        var writer = BucketOwnership.AccountOf(_session.KnownIdentity);
        var (acl, why) = await BucketOwnership.WriterAclAsync(S3, AclChoice.Auto, writer, bucket, cancellationToken).ConfigureAwait(false);
        return await CheckAsync(bucket, "Write", acl is null ? "s3:PutObject" : "s3:PutObject and s3:PutObjectAcl", ObjectArn(bucket, "*"), async () =>
        {
            var response = await S3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                ContentBody = "S3Replication access probe; safe to delete.",
                ContentType = "text/plain",
                CannedACL = acl,
            }, cancellationToken).ConfigureAwait(false);
            written(response.VersionId is { Length: > 0 } id && id != "null" ? id : null);
            return $"wrote {key} (ACL as its restores write: {why})";
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AccessCheck> DeleteProbeAsync(string bucket, string key, string? versionId)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        var action = versionId is null ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
        var record = await CheckAsync(bucket, "Delete", action, ObjectArn(bucket, "*"), async () =>
        {
            await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = versionId }, timeout.Token).ConfigureAwait(false);
            return $"deleted {key}" + (versionId is null ? "" : $" version {versionId}");
        }, timeout.Token).ConfigureAwait(false);
        if (record.Outcome != AccessOutcome.Allowed)
        {
            record.Hint += versionId is null
                ? $" The probe object s3://{bucket}/{key} remains: remove it with an identity that may."
                : $" The probe version {versionId} of s3://{bucket}/{key} remains: remove it with an identity that may.";
        }
        return record;
    }

    public Task<AccessCheck> VersioningAsync(string bucket, CancellationToken cancellationToken) =>
        CheckAsync(bucket, "Versioning", "s3:GetBucketVersioning", BucketArn(bucket), async () =>
        {
            var response = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            var status = response.VersioningConfig?.Status?.Value is { Length: > 0 } value ? value : "Off";
            return $"versioning {status}";
        }, cancellationToken, detail => detail == "versioning Enabled" ? null
            : "Replication needs versioning on both buckets: New-S3BackupReplicationRule -EnableVersioning turns it on.");

    /// <summary>
    /// What -AsOf and -AllVersions need besides plain reads: s3:ListBucketVersions, then s3:GetObjectVersion on the first
    /// version listed. A role can pass List and Read and still fail every point-in-time restore without them.
    /// </summary>
    public async Task<IReadOnlyList<AccessCheck>> VersionsAsync(string bucket, CancellationToken cancellationToken)
    {
        S3ObjectVersion? first = null;
        var records = new List<AccessCheck>
        {
            await CheckAsync(bucket, "Versions", "s3:ListBucketVersions", BucketArn(bucket), async () =>
            {
                var response = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
                first = response.Versions?.FirstOrDefault(version => version.IsDeleteMarker != true);
                return first is null ? "no versions to list" : $"first version {first.Key} ({first.VersionId})";
            }, cancellationToken).ConfigureAwait(false),
        };
        if (first is { VersionId: { Length: > 0 } versionId } && versionId != "null")
        {
            var key = first.Key;
            records.Add(await CheckAsync(bucket, "ReadVersion", "s3:GetObjectVersion", ObjectArn(bucket, key), async () =>
            {
                await RetryPolicies.S3.RunAsync(token => S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId }, token),
                    cancellationToken).ConfigureAwait(false);
                return $"read {key} version {versionId}";
            }, cancellationToken).ConfigureAwait(false));
        }
        return records;
    }

    public Task<AccessCheck> ReplicationAsync(string bucket, CancellationToken cancellationToken) =>
        CheckAsync(bucket, "Replication", "s3:GetReplicationConfiguration", BucketArn(bucket), async () =>
        {
            try
            {
                var response = await S3.GetBucketReplicationAsync(new GetBucketReplicationRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
                var rules = response.Configuration?.Rules?.Count ?? 0;
                return rules == 0 ? "no replication rules" : $"{rules} replication rule(s)";
            }
            catch (AmazonS3Exception error) when (error.ErrorCode == "ReplicationConfigurationNotFoundError")
            {
                return "no replication rules";
            }
        }, cancellationToken);

    private async Task<AccessCheck> CheckAsync(string bucket, string check, string action, string resource, Func<Task<string>> call,
        CancellationToken cancellationToken, Func<string, string?>? adviceWhenAllowed = null)
    {
        var record = new AccessCheck { Bucket = bucket, Check = check, Target = resource, Action = action };
        try
        {
            record.Detail = await call().ConfigureAwait(false);
            record.Outcome = AccessOutcome.Allowed;
            record.Hint = adviceWhenAllowed?.Invoke(record.Detail);
        }
        catch (AmazonServiceException error) when (!cancellationToken.IsCancellationRequested)
        {
            var verdict = AccessHints.Classify(action, resource, error.ErrorCode, error.StatusCode, error.Message, _region);
            (record.Outcome, record.ErrorCode, record.Hint) = (verdict.Outcome, verdict.ErrorCode, verdict.Hint);
        }
        catch (Exception error) when (IsConnectionFailure(error, cancellationToken))
        {
            record.Outcome = AccessOutcome.Error;
            record.ErrorCode = "ConnectionFailed";
            record.Hint = $"{action} on {resource} could not be tried: {error.Message}";
        }
        return record;
    }

    private static bool IsConnectionFailure(Exception error, CancellationToken cancellationToken) =>
        error is HttpRequestException or IOException or AmazonClientException
        || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>GetBucketLocation's answer as a region: empty means us-east-1 and the legacy "EU" means eu-west-1.</summary>
    internal static string RegionOf(string? location) => location switch
    {
        null or "" => "us-east-1",
        "EU" => "eu-west-1",
        _ => location,
    };
}
