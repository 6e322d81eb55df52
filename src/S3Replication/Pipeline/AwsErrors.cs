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
    public static S3BackupException ForS3(AmazonServiceException error, string iamAction, string resourceArn, string what, object target)
    {
        var code = error.ErrorCode ?? ((int)error.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return code switch
        {
            "AccessDenied" or "AllAccessDisabled" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" when error.StatusCode == HttpStatusCode.Forbidden =>
                new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
                    $"{what} was denied ({code}). The identity needs {iamAction} on {resourceArn}, and no bucket policy may deny it.", target, error),
            "NoSuchBucket" => new S3BackupException(ErrorId.AwsRequestFailed, ErrorCategory.ObjectNotFound,
                $"{what} failed: the bucket does not exist at this endpoint and region.", target, error),
            _ => new S3BackupException(ErrorId.AwsRequestFailed, ErrorCategory.InvalidOperation,
                $"{what} failed: {code}: {error.Message}", target, error),
        };
    }
}
