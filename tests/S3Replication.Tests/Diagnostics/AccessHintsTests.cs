using System.Net;
using S3Replication.Diagnostics;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>Hints for AWS answers the local server never gives (its messages are empty; it has no KMS or redirects).</summary>
public class AccessHintsTests
{
    private const string Resource = "arn:aws:s3:::sds-data-dev/*";

    [Theory]
    [InlineData("", "The identity needs s3:PutObject on arn:aws:s3:::sds-data-dev/* (allow it in the IAM policy; no bucket policy may deny it).")]
    [InlineData("User: arn:aws:sts::111111111111:assumed-role/BackupRole/ops is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::sds-data-dev/x\" because no identity-based policy allows the s3:PutObject action",
        "The identity needs s3:PutObject on arn:aws:s3:::sds-data-dev/*")]
    [InlineData("User: arn:aws:sts::111111111111:assumed-role/BackupRole/ops is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::sds-data-dev/x\" with an explicit deny in a resource-based policy",
        "A bucket policy denies s3:PutObject")]
    [InlineData("User: arn:aws:iam::111111111111:user/ops is not authorized to perform: s3:PutObject with an explicit deny in an identity-based policy",
        "An IAM policy of this identity explicitly denies s3:PutObject")]
    [InlineData("User: arn:aws:sts::111111111111:assumed-role/BackupRole/ops is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-2:111111111111:key/abc",
        "kms:GenerateDataKey on the bucket's KMS key")]
    public void A_denial_names_what_denied_and_the_action(string message, string hint)
    {
        var verdict = AccessHints.Classify("s3:PutObject", Resource, "AccessDenied", HttpStatusCode.Forbidden, message, "eu-west-2");
        Assert.Equal(("Denied", "AccessDenied"), (verdict.Outcome.ToString(), verdict.ErrorCode));
        Assert.Contains(hint, verdict.Hint);
    }

    [Fact]
    public void Reading_a_kms_object_needs_decrypt()
    {
        var verdict = AccessHints.Classify("s3:GetObject", "arn:aws:s3:::b/k", "AccessDenied", HttpStatusCode.Forbidden,
            "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. (KMS)", "eu-west-2");
        Assert.Contains("kms:Decrypt", verdict.Hint);
    }

    [Theory]
    [InlineData("AuthorizationHeaderMalformed", HttpStatusCode.BadRequest, "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-2'", "-Region eu-west-2")]
    [InlineData("PermanentRedirect", HttpStatusCode.MovedPermanently, "The bucket you are attempting to access must be addressed using the specified endpoint.", "not in region us-east-1")]
    [InlineData(null, HttpStatusCode.MovedPermanently, null, "not in region us-east-1")]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, "The specified bucket does not exist", "does not exist at this endpoint")]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden, "The AWS Access Key Id you provided does not exist in our records.", "credentials were refused")]
    [InlineData("ExpiredToken", HttpStatusCode.BadRequest, "The provided token has expired.", "renew the session")]
    [InlineData("XAmzContentSHA256Mismatch", HttpStatusCode.BadRequest, "", "request_checksum_calculation = when_required")]
    [InlineData("InvalidArgument", HttpStatusCode.BadRequest, "Unsupported header 'x-amz-checksum-crc32' received for this API call.", "AWS_REQUEST_CHECKSUM_CALCULATION")]
    [InlineData("NotImplemented", HttpStatusCode.NotImplemented, "STREAMING-UNSIGNED-PAYLOAD-TRAILER not implemented", "response_checksum_validation = when_required")]
    [InlineData("InternalError", HttpStatusCode.InternalServerError, "We encountered an internal error.", "s3:PutObject on arn:aws:s3:::sds-data-dev/* failed: We encountered an internal error.")]
    public void Other_failures_are_errors_with_a_specific_hint(string? code, HttpStatusCode status, string? message, string hint)
    {
        var verdict = AccessHints.Classify("s3:PutObject", Resource, code, status, message, "us-east-1");
        Assert.Equal("Error", verdict.Outcome.ToString());
        Assert.Contains(hint, verdict.Hint);
    }

    [Fact]
    public void A_missing_key_asks_for_an_existing_one()
    {
        var verdict = AccessHints.Classify("s3:GetObject", "arn:aws:s3:::b/k", "NoSuchKey", HttpStatusCode.NotFound, "The specified key does not exist.", "eu-west-2");
        Assert.Contains("give -Key an existing key", verdict.Hint);
    }
}
