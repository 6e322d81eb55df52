using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Tests.Permissions;

/// <summary>One IAM action on one resource (bucket-wide: arn:aws:s3:::bucket or arn:aws:s3:::bucket/*).</summary>
internal sealed record Grant(string Action, string Resource)
{
    public override string ToString() => $"{Action} on {Resource}";
}

/// <summary>
/// The IAM actions one S3 request of the module needs: what <see cref="S3Permissions.RequiredFor"/> says, where it says
/// anything, and for the request types it does not name yet, this table (each entry is what AWS's API reference asks
/// for that operation). A request type neither knows is an error: a new kind of request must be given its permission
/// here (better: in S3Permissions) and on docs/PERMISSIONS.md.
/// </summary>
internal static class RequestPermissions
{
    private static readonly Regex Action = new(@"\b(s3|kms|iam|sts):[A-Za-z]+\b", RegexOptions.CultureInvariant);

    public static IReadOnlyList<Grant> For(AmazonWebServiceRequest request)
    {
        var grants = new List<Grant>();
        if (S3Permissions.RequiredFor(request) is { } known)
        {
            for (var permission = known; permission is not null; permission = permission.AndAlso)
            {
                var resource = permission.BucketWide().Resource;
                grants.AddRange(Action.Matches(permission.Action).Select(match => new Grant(match.Value, resource)));
            }
        }
        else
        {
            grants.Add(NotInS3Permissions(request) ?? throw new InvalidOperationException(
                $"{request.GetType().Name}: neither S3Permissions.RequiredFor nor this test's table names its IAM action. Give it one " +
                "(S3Permissions is the better place) and list it on docs/PERMISSIONS.md for every scenario that sends it."));
        }
        // S3Permissions names the write; AWS also checks s3:PutObjectTagging when a PUT or CreateMultipartUpload carries tags (x-amz-tagging).
        if (request is PutObjectRequest { TagSet.Count: > 0 } or InitiateMultipartUploadRequest { TagSet.Count: > 0 })
        {
            grants.Add(new Grant("s3:PutObjectTagging", grants[0].Resource));
        }
        return grants.Distinct().ToList();
    }

    /// <summary>The request types S3Permissions.RequiredFor answers null for today (see the final report: it should name them).</summary>
    private static Grant? NotInS3Permissions(AmazonWebServiceRequest request) => request switch
    {
        DeleteObjectRequest delete => new Grant(string.IsNullOrEmpty(delete.VersionId) ? "s3:DeleteObject" : "s3:DeleteObjectVersion", ObjectsOf(delete.BucketName)),
        GetBucketVersioningRequest versioning => new Grant("s3:GetBucketVersioning", BucketArn(versioning.BucketName)),
        GetBucketReplicationRequest replication => new Grant("s3:GetReplicationConfiguration", BucketArn(replication.BucketName)),
        GetBucketLocationRequest location => new Grant("s3:GetBucketLocation", BucketArn(location.BucketName)),
        HeadBucketRequest head => new Grant("s3:ListBucket", BucketArn(head.BucketName)),
        GetBucketOwnershipControlsRequest ownership => new Grant("s3:GetBucketOwnershipControls", BucketArn(ownership.BucketName)),
        ListBucketsRequest => new Grant("s3:ListAllMyBuckets", "*"),
        _ => null,
    };

    private static string BucketArn(string bucket) => $"arn:aws:s3:::{bucket}";

    private static string ObjectsOf(string bucket) => $"arn:aws:s3:::{bucket}/*";
}
