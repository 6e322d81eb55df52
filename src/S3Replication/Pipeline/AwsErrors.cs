using System.Management.Automation;
using System.Net;
using Amazon.Runtime;

namespace S3Replication.Pipeline;

/// <summary>
/// Turns an AWS service error into one that says what was attempted, on what, and which IAM permission is missing,
/// keeping the service exception as the inner one.
/// </summary>
internal static class AwsErrors
{
    /// <summary>
    /// A request that failed for good (after retries): an S3 error explained by <see cref="ForS3"/>, anything else
    /// (a dropped connection, a local file error) as AwsRequestFailed in <paramref name="category"/>.
    /// </summary>
    public static S3BackupException ForFailure(System.Exception error, string iamAction, string resourceArn, string what, object target,
        ErrorCategory category = ErrorCategory.ConnectionError) =>
        error switch
        {
            Amazon.S3.AmazonS3Exception s3Error => ForS3(s3Error, iamAction, resourceArn, what, target),
            System.Xml.XmlException or AmazonUnmarshallingException => new S3BackupException(ErrorId.AwsRequestFailed, category,
                $"{what} failed: every response was cut off or unreadable ({error.Message}). Running the command again retries what is missing.", target, error),
            _ => new S3BackupException(ErrorId.AwsRequestFailed, category, $"{what} failed: {error.Message}", target, error),
        };

    public static S3BackupException ForS3(AmazonServiceException error, string iamAction, string resourceArn, string what, object target)
    {
        var code = error.ErrorCode ?? ((int)error.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return code switch
        {
            "AccessDenied" or "AllAccessDisabled" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" when error.StatusCode == HttpStatusCode.Forbidden =>
                new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
                    $"{what} was denied ({code}). The identity needs {iamAction} on {resourceArn}, and no bucket policy may deny it.", target, error),
            "NoSuchBucket" => new S3BackupException(ErrorId.BucketNotFound, ErrorCategory.ObjectNotFound,
                $"{what} failed: the bucket does not exist at this endpoint and region. Check the name (Tab completes it) and -Region.", target, error),
            _ => new S3BackupException(ErrorId.AwsRequestFailed, ErrorCategory.InvalidOperation,
                $"{what} failed: {code}: {error.Message}", target, error),
        };
    }
}
