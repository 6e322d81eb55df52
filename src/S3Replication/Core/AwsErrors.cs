using System.Linq;
using System.Management.Automation;
using System.Net;
using Amazon.Runtime;

namespace S3Replication.Core;

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

    private static readonly System.Text.RegularExpressions.Regex BodyMessage =
        new("<Message>(?<text>[^<]*)</Message>", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// "AccessDenied: why", or just the code when the service gave no reason. When the SDK could not read the error
    /// (S3-compatible servers), its message is "…HTTP Body: &lt;?xml…": only the body's Message is kept, never raw XML.
    /// </summary>
    public static string CodeAndMessage(AmazonServiceException error)
    {
        var code = error.ErrorCode ?? ((int)error.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = error.Message ?? "";
        if (message.IndexOf("HTTP Body:", System.StringComparison.Ordinal) >= 0 || message.TrimStart().StartsWith("<", System.StringComparison.Ordinal))
        {
            var match = BodyMessage.Match(message);
            message = match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups["text"].Value) : "";
        }
        message = message.Trim().TrimEnd('.');
        return message.Length == 0 || message == code ? code : $"{code}: {message}";
    }

    /// <summary>
    /// Whether the server refused the checksums the AWS SDK sends by default (CRC trailers in aws-chunked bodies),
    /// as Ceph RGW and other S3-compatible servers do: RGW says XAmzContentSHA256Mismatch, others name the header.
    /// </summary>
    public static bool IsChecksumRejection(string? errorCode, string? message) =>
        errorCode == "XAmzContentSHA256Mismatch"
        || (message is not null && ChecksumHeaders.Any(header => message.IndexOf(header, System.StringComparison.OrdinalIgnoreCase) >= 0));

    private static readonly string[] ChecksumHeaders = { "x-amz-checksum", "x-amz-trailer", "x-amz-sdk-checksum", "STREAMING-UNSIGNED-PAYLOAD-TRAILER" };

    public const string ChecksumHint =
        "The server rejected the checksums the AWS SDK sends by default, as many S3-compatible servers do: set " +
        "request_checksum_calculation = when_required and response_checksum_validation = when_required in the profile " +
        "(or the environment variables AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION).";

    /// <summary>
    /// <paramref name="iamAction"/> and <paramref name="resourceArn"/> name what the whole operation needs; the permission of
    /// the one request that failed, where known (<see cref="S3Permissions"/>), is named instead.
    /// </summary>
    public static S3BackupException ForS3(AmazonServiceException error, string iamAction, string resourceArn, string what, object target)
    {
        var needed = S3Permissions.Of(error)?.ToString() ?? $"{iamAction} on {resourceArn}";
        var code = error.ErrorCode ?? ((int)error.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return code switch
        {
            // A refused HEAD has no body to name its code: the SDK says "Forbidden" for the 403 alone.
            "AccessDenied" or "Forbidden" or "AllAccessDisabled" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" when error.StatusCode == HttpStatusCode.Forbidden =>
                new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
                    $"{what} was denied ({code}). The identity needs {needed}, and no bucket policy may deny it.", target, error),
            _ when IsChecksumRejection(code, error.Message) => new S3BackupException(ErrorId.ChecksumRejected, ErrorCategory.InvalidOperation,
                $"{what} failed ({code}). {ChecksumHint}", target, error),
            "NoSuchBucket" => new S3BackupException(ErrorId.BucketNotFound, ErrorCategory.ObjectNotFound,
                $"{what} failed: the bucket does not exist at this endpoint and region. Check the name (Tab completes it) and -Region.", target, error),
            _ => new S3BackupException(ErrorId.AwsRequestFailed, ErrorCategory.InvalidOperation,
                $"{what} failed: {CodeAndMessage(error)}.", target, error),
        };
    }
}
