using System;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Transfer;

/// <summary>The accounts a run expects to own its buckets (x-amz-expected-bucket-owner on every request), where known.</summary>
internal sealed record BucketOwners(string? Backup, string? Source)
{
    public static readonly BucketOwners Unknown = new(null, null);
}

/// <summary>
/// Who owns the buckets a run touches, learned before it touches them: a bucket that exists but belongs to another account
/// than expected is refused with nothing done, and a bucket the run writes gets its writes' ACL decided once
/// (<see cref="ObjectAcl.Decide"/>).
/// </summary>
internal static class BucketOwnership
{
    /// <summary>
    /// A session's account: from STS where the endpoint answers GetCallerIdentity, else from the assumed role's ARN; null
    /// where neither tells (S3-compatible servers' ARNs carry no account) or STS cannot be reached (said to <paramref name="note"/>).
    /// </summary>
    public static async Task<string?> AccountOfAsync(Session.AwsSession session, Action<string> note, CancellationToken cancellationToken)
    {
        try
        {
            return AccountOf(await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception error) when (error is Amazon.Runtime.AmazonServiceException or System.Net.Http.HttpRequestException or System.IO.IOException)
        {
            note($"The session's account is not known (STS GetCallerIdentity: {error.Message}): no bucket owner is expected from it.");
            return null;
        }
    }

    /// <summary>The identity's account where it names one (S3-compatible servers may give none, or not an AWS account id).</summary>
    public static string? AccountOf(Session.CallerIdentity? identity) => identity?.Account is { Length: 12 } account ? account : null;

    /// <summary>Whether <paramref name="bucket"/> answers a HeadBucket that expects <paramref name="account"/> as its owner.</summary>
    public static async Task<bool> IsOwnedByAsync(IAmazonS3 s3, string bucket, string account, CancellationToken cancellationToken) =>
        await AnswersAsync(s3, bucket, account, cancellationToken).ConfigureAwait(false) == HttpStatusCode.OK;

    /// <summary>
    /// S3 refuses a request whose expected owner is not the bucket's (403, like any denial), so a refused HeadBucket that
    /// expects <paramref name="owner"/> is asked again without: answered then, the bucket is another account's.
    /// </summary>
    public static async Task RequireOwnerAsync(IAmazonS3 s3, string bucket, string? owner, string parameter, CancellationToken cancellationToken)
    {
        if (owner is null || await AnswersAsync(s3, bucket, owner, cancellationToken).ConfigureAwait(false) != HttpStatusCode.Forbidden)
        {
            return;
        }
        if (await AnswersAsync(s3, bucket, null, cancellationToken).ConfigureAwait(false) == HttpStatusCode.OK)
        {
            throw new S3BackupException(ErrorId.WrongBucketOwner, ErrorCategory.SecurityError,
                $"s3://{bucket} does not belong to account {owner}: S3 refused a request that expected that owner and answered the same request " +
                $"without it. Nothing was changed. If the bucket was deleted and created again by another account, check it before anything is written " +
                $"to it; if it really belongs to another account, pass {parameter} with that account.", bucket);
        }
    }

    private static async Task<HttpStatusCode> AnswersAsync(IAmazonS3 s3, string bucket, string? owner, CancellationToken cancellationToken)
    {
        try
        {
            await RetryPolicies.S3.RunAsync(token => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket, ExpectedBucketOwner = owner }, token),
                cancellationToken).ConfigureAwait(false);
            return HttpStatusCode.OK;
        }
        catch (AmazonS3Exception error)
        {
            return error.StatusCode;
        }
    }

    /// <summary>
    /// The ACL of objects account <paramref name="writer"/> (null: not known) writes into <paramref name="bucket"/> outside a
    /// restore (uploads, the access probe), and why. No owner is expected of the bucket: it counts as the writer's only
    /// where S3 confirms it (HeadBucket with that expected owner).
    /// </summary>
    public static async Task<(S3CannedACL? Acl, string Why)> WriterAclAsync(IAmazonS3 s3, AclChoice choice, string? writer, string bucket,
        CancellationToken cancellationToken)
    {
        var owner = writer is not null && await IsOwnedByAsync(s3, bucket, writer, cancellationToken).ConfigureAwait(false) ? writer : null;
        return await AclAsync(s3, choice, writer, bucket, owner, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The ACL the writes into <paramref name="bucket"/> carry, and why. The bucket's ownership setting is read only where
    /// it matters (a known writer of another account than the bucket's): where it cannot be read, writers are taken to own
    /// what they write.
    /// </summary>
    public static async Task<(S3CannedACL? Acl, string Why)> AclAsync(IAmazonS3 s3, AclChoice choice, string? writerAccount, string bucket, string? owner,
        CancellationToken cancellationToken)
    {
        var ownership = choice == AclChoice.Auto && writerAccount is not null && writerAccount != owner
            ? await OwnershipAsync(s3, bucket, owner, cancellationToken).ConfigureAwait(false)
            : Ownership.Unknown;
        return ObjectAcl.Decide(choice, writerAccount, owner, ownership);
    }

    private static async Task<Ownership> OwnershipAsync(IAmazonS3 s3, string bucket, string? owner, CancellationToken cancellationToken)
    {
        try
        {
            var controls = await RetryPolicies.S3.RunAsync(token => s3.GetBucketOwnershipControlsAsync(
                new GetBucketOwnershipControlsRequest { BucketName = bucket, ExpectedBucketOwner = owner }, token), cancellationToken).ConfigureAwait(false);
            var rules = controls.OwnershipControls?.Rules;
            return ObjectAcl.OwnershipOf(rules is { Count: > 0 } ? rules[0].ObjectOwnership?.Value : null);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            return Ownership.Unknown;
        }
    }
}
