using System;
using System.Management.Automation;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands.Session;

[Cmdlet(VerbsCommunications.Connect, "S3Backup")]
[OutputType(typeof(S3BackupSession))]
public sealed class ConnectS3BackupCommand : S3BackupCmdlet
{
    /// <summary>A bucket to list right after connecting, proving the credentials work (the runbook's "aws s3 ls").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string? Bucket { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Signs in to IAM Identity Center first, as <c>aws sso login</c> does: shows a URL and code to confirm in a
    /// browser, waits for the approval, and caches the token where the aws CLI finds it too.
    /// </summary>
    [Parameter]
    public SwitchParameter Login { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var request = Session is null
            ? RequestFromParameters()
            : new SessionRequest(Session.ProfileName, Session.Region, Session.Endpoint);
        if (Bucket is not null && !AwsNames.IsBucketName(Bucket))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"'{Bucket}' is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens).", Bucket);
        }
        var session = Store.Replace(request, ProcessEnvironment.Instance);
        if (Login)
        {
            await SignInAsync(session, cancellationToken).ConfigureAwait(false);
        }
        await WriteVerboseAsync($"Connecting with profile {session.ProfileName ?? "(none)"}: {session.Plan.Describe()}; " +
            $"region {session.S3Settings.Region}; S3 endpoint {session.S3Settings.EndpointUrl ?? "(AWS default)"}.").ConfigureAwait(false);

        try
        {
            await session.EnsureCredentialsAsync().ConfigureAwait(false);
            await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            var denied = error is AmazonServiceException { StatusCode: System.Net.HttpStatusCode.Forbidden };
            throw new S3BackupException(denied ? ErrorId.AccessDenied : ErrorId.CredentialsFailed,
                denied ? ErrorCategory.PermissionDenied : ErrorCategory.AuthenticationError,
                $"Could not connect with profile '{session.ProfileName ?? "(default credentials)"}' at {session.StsSettings.EndpointUrl ?? "the AWS STS endpoint"}: {(error is AmazonServiceException service ? AwsErrors.CodeAndMessage(service) : error.Message)}",
                session.ProfileName, error);
        }

        if (Bucket is not null)
        {
            await VerifyListAccessAsync(session, Bucket, cancellationToken).ConfigureAwait(false);
        }

        Store.SetDefault(session);
        var record = session.ToRecord(isDefault: true);
        await WriteInformationAsync(ConnectionNotice.Text(record.Arn, session.ProfileName, session.Plan.Kind, session.Expiration), "S3Replication.Connected")
            .ConfigureAwait(false);
        if (PassThru)
        {
            await WriteObjectAsync(record).ConfigureAwait(false);
        }
    }

    private async Task SignInAsync(AwsSession session, CancellationToken cancellationToken)
    {
        var sso = session.Plan.Base.Sso ?? throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
            $"Profile '{session.ProfileName ?? "(none)"}' does not sign in through IAM Identity Center (its credentials come from " +
            $"{session.Plan.Base.Describe()}); -Login applies to profiles with sso_session or sso_start_url, or role profiles built on one.",
            session.ProfileName);
        var token = await session.IdentityCenter.SignInAsync(sso, prompt => WriteInformationAsync(
            $"To sign in to IAM Identity Center ({sso.StartUrl}) for profile '{sso.ProfileName}', open{Environment.NewLine}" +
            $"    {prompt.VerificationUriComplete ?? prompt.VerificationUri}{Environment.NewLine}" +
            $"in a browser and confirm the code {prompt.UserCode}. Waiting until {prompt.ExpiresAt.LocalDateTime:T} (Ctrl+C to stop).",
            "S3Replication.SignIn"), cancellationToken).ConfigureAwait(false);
        await WriteVerboseAsync($"Signed in: the token is valid until {token.ExpiresAt?.LocalDateTime:g} and cached in " +
            $"{session.IdentityCenter.Cache.PathFor(sso)}.").ConfigureAwait(false);
    }

    private async Task VerifyListAccessAsync(AwsSession session, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var listing = await session.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken)
                .ConfigureAwait(false);
            await WriteVerboseAsync($"Listed bucket {bucket}: {(listing.KeyCount > 0 ? "it has objects" : "it is empty")}.").ConfigureAwait(false);
        }
        catch (AmazonS3Exception error)
        {
            var who = session.KnownIdentity?.Arn ?? session.ProfileName ?? "the default credentials";
            throw AwsErrors.ForS3(error, "s3:ListBucket", $"arn:aws:s3:::{bucket}", $"Connected as {who}, but listing bucket '{bucket}'", bucket);
        }
    }
}
