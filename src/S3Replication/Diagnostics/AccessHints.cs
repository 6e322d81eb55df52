using System;
using System.Net;
using System.Text.RegularExpressions;
using S3Replication.Core;

namespace S3Replication.Diagnostics;

/// <summary>What a failed check means for the operator.</summary>
/// <summary>What one access check found; AccessCheckRecord.Outcome's names.</summary>
internal enum AccessOutcome
{
    Allowed,
    Denied,
    Error,

    /// <summary>Not tried: nothing to try it on, or not a permission the runbook needs.</summary>
    Skipped,
}

/// <summary>
/// One access check as the probe works with it (its outcome typed); <see cref="ToRecord"/> is what Test-S3BackupAccess writes.
/// </summary>
internal sealed class AccessCheck
{
    public string? Bucket { get; set; }
    public string Check { get; set; } = "";
    public string Target { get; set; } = "";
    public string? Action { get; set; }
    public AccessOutcome Outcome { get; set; }
    public string? ErrorCode { get; set; }
    public string? Detail { get; set; }
    public string? Hint { get; set; }

    public Records.AccessCheckRecord ToRecord() => new()
    {
        Bucket = Bucket, Check = Check, Target = Target, Action = Action, Outcome = Outcome.ToString(), ErrorCode = ErrorCode, Detail = Detail, Hint = Hint,
    };
}

internal sealed record AccessVerdict(AccessOutcome Outcome, string ErrorCode, string Hint);

/// <summary>
/// Turns an S3 error from one access check into an outcome and a hint that names what to change: the IAM action and
/// resource, a bucket policy or KMS key that denies, credentials, or the bucket's real region. Pure, so every case
/// can be tested without a server.
/// </summary>
internal static class AccessHints
{
    private static readonly Regex ExpectedRegion = new(@"expecting '([a-z0-9-]+)'", RegexOptions.CultureInvariant);

    public static AccessVerdict Classify(string action, string resource, string? errorCode, HttpStatusCode status, string? message, string sessionRegion,
        string? bucketRegion = null)
    {
        var code = string.IsNullOrEmpty(errorCode) ? ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) : errorCode!;
        var text = message ?? "";
        if (AwsErrors.IsChecksumRejection(code, text))
        {
            return new AccessVerdict(AccessOutcome.Error, code, AwsErrors.ChecksumHint);
        }
        switch (code)
        {
            case "AccessDenied" or "AllAccessDisabled" or "Forbidden" or "403":
                return new AccessVerdict(AccessOutcome.Denied, code, DeniedHint(action, resource, text));
            case "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" or "TokenRefreshRequired":
                return new AccessVerdict(AccessOutcome.Error, code,
                    "The credentials were refused: check the profile's access key and secret (or renew the session) and try again.");
            case "NoSuchBucket":
                return new AccessVerdict(AccessOutcome.Error, code, "The bucket does not exist at this endpoint: check the name, -EndpointUrl and -Region.");
            case "NoSuchKey" or "404" when action is "s3:GetObject":
                return new AccessVerdict(AccessOutcome.Error, code, "The object does not exist: give -Key an existing key, or leave it out to read the first listed object.");
            case "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" or "301" or "TemporaryRedirect":
                var region = bucketRegion ?? (ExpectedRegion.Match(text) is { Success: true } match ? match.Groups[1].Value : null);
                return new AccessVerdict(AccessOutcome.Error, code, region is null
                    ? $"The bucket is not in region {sessionRegion}: find its region and give -Region."
                    : $"The bucket is in region {region}, not {sessionRegion}: add -Region {region} (or set region = {region} in the profile).");
            default:
                return new AccessVerdict(AccessOutcome.Error, code, $"{action} on {resource} failed: {text}".TrimEnd(' ', ':'));
        }
    }

    /// <summary>AWS says in the message which kind of policy denied; KMS denials mention the key.</summary>
    private static string DeniedHint(string action, string resource, string message)
    {
        if (message.IndexOf("kms", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            var kmsAction = action.StartsWith("s3:PutObject", StringComparison.Ordinal) ? "kms:GenerateDataKey" : "kms:Decrypt";
            return $"The object's KMS key refused: the identity needs {kmsAction} on the bucket's KMS key (in the key policy or an IAM policy), as well as {action} on {resource}.";
        }
        if (message.IndexOf("resource-based policy", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            return $"A bucket policy denies {action} on {resource}: ask the bucket owner to allow this identity in the bucket policy.";
        }
        if (message.IndexOf("explicit deny in an identity-based policy", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            return $"An IAM policy of this identity explicitly denies {action} on {resource}: remove the Deny statement.";
        }
        return $"The identity needs {action} on {resource} (allow it in the IAM policy; no bucket policy may deny it).";
    }
}
