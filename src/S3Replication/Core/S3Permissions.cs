using System;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Core;

/// <summary>
/// The IAM permission one S3 request needs, on which resource: what a denial of that request points at. A copy
/// needs two (read one object, write another), and S3 does not say which one was missing.
/// </summary>
internal sealed record IamPermission(string Action, string Resource, IamPermission? AndAlso = null)
{
    private const string S3Arn = "arn:aws:s3:::";

    /// <summary>The same permission on every object of the bucket (arn:aws:s3:::bucket/key → arn:aws:s3:::bucket/*): the grant a whole run needs.</summary>
    public IamPermission BucketWide()
    {
        var slash = Resource.StartsWith(S3Arn, StringComparison.Ordinal) ? Resource.IndexOf('/', S3Arn.Length) : -1;
        return new IamPermission(Action, slash > 0 ? Resource.Substring(0, slash) + "/*" : Resource, AndAlso?.BucketWide());
    }

    public override string ToString() => $"{Action} on {Resource}" + (AndAlso is null ? "" : $" and {AndAlso}");
}

/// <summary>
/// Names the permission behind each S3 request, and marks every failed request's exception with it, so an
/// AccessDenied says which of the several requests of a copy (read the backup, write the source, tag, restore from
/// archive) was refused rather than listing every permission the copy might need.
/// </summary>
internal static class S3Permissions
{
    private const string DataKey = "S3Replication.Permission";

    /// <summary>Hooked to each S3 client's ExceptionEvent: the SDK raises it with the request and the exception it throws.</summary>
    public static void Mark(object sender, ExceptionEventArgs args)
    {
        if (args is WebServiceExceptionEventArgs { Request: { } request, Exception: { } exception } && RequiredFor(request) is { } permission)
        {
            exception.Data[DataKey] = permission;
        }
    }

    /// <summary>The permission of the request that failed with <paramref name="error"/> (or an exception it wraps), if known.</summary>
    public static IamPermission? Of(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current.Data[DataKey] is IamPermission permission)
            {
                return permission;
            }
        }
        return null;
    }

    /// <summary>Narrows what <paramref name="error"/> is blamed on, once a follow-up request showed which permission was missing.</summary>
    public static void Blame(Exception error, IamPermission permission)
    {
        var marked = error;
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current.Data.Contains(DataKey))
            {
                marked = current;
                break;
            }
        }
        marked.Data[DataKey] = permission;
    }

    public static IamPermission? RequiredFor(AmazonWebServiceRequest request) => request switch
    {
        GetObjectRequest get => Read(get.BucketName, get.Key, get.VersionId, ""),
        GetObjectMetadataRequest head => Read(head.BucketName, head.Key, head.VersionId, ""),
        GetObjectTaggingRequest tags => Read(tags.BucketName, tags.Key, tags.VersionId, "Tagging"),
        CopyObjectRequest copy => Copy(copy.SourceBucket, copy.SourceKey, copy.SourceVersionId, copy.DestinationBucket, copy.DestinationKey, copy.CannedACL),
        CopyPartRequest part => Copy(part.SourceBucket, part.SourceKey, part.SourceVersionId, part.DestinationBucket, part.DestinationKey, null),
        PutObjectRequest put => Write(put.BucketName, put.Key, put.CannedACL),
        InitiateMultipartUploadRequest initiate => Write(initiate.BucketName, initiate.Key, initiate.CannedACL),
        UploadPartRequest upload => Write(upload.BucketName, upload.Key, null),
        CompleteMultipartUploadRequest complete => Write(complete.BucketName, complete.Key, null),
        PutObjectTaggingRequest tagging => new IamPermission("s3:PutObjectTagging", ObjectArn(tagging.BucketName, tagging.Key)),
        RestoreObjectRequest restore => new IamPermission("s3:RestoreObject", ObjectArn(restore.BucketName, restore.Key)),
        AbortMultipartUploadRequest abort => new IamPermission("s3:AbortMultipartUpload", ObjectArn(abort.BucketName, abort.Key)),
        ListMultipartUploadsRequest uploads => new IamPermission("s3:ListBucketMultipartUploads", BucketArn(uploads.BucketName)),
        ListObjectsV2Request list => new IamPermission("s3:ListBucket", BucketArn(list.BucketName)),
        ListVersionsRequest versions => new IamPermission("s3:ListBucketVersions", BucketArn(versions.BucketName)),
        _ => null,
    };

    private static IamPermission Read(string bucket, string key, string? versionId, string subresource) =>
        new($"s3:GetObject{(string.IsNullOrEmpty(versionId) ? "" : "Version")}{subresource}", ObjectArn(bucket, key));

    private static IamPermission Write(string bucket, string key, S3CannedACL? acl) =>
        new(acl is null ? "s3:PutObject" : $"s3:PutObject (and s3:PutObjectAcl for the {acl.Value} ACL it sets)", ObjectArn(bucket, key));

    /// <summary>One CopyObject request reads the backup and writes the source; S3 does not say which side refused.</summary>
    private static IamPermission Copy(string sourceBucket, string sourceKey, string? sourceVersionId, string bucket, string key, S3CannedACL? acl) =>
        Read(sourceBucket, sourceKey, sourceVersionId, "") with { AndAlso = Write(bucket, key, acl) };

    private static string ObjectArn(string bucket, string key) => $"arn:aws:s3:::{bucket}/{key}";

    private static string BucketArn(string bucket) => $"arn:aws:s3:::{bucket}";
}
