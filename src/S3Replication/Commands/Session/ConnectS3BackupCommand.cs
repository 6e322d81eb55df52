using System;
using System.Management.Automation;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Commands.Session;

[Cmdlet(VerbsCommunications.Connect, "S3Backup")]
[OutputType(typeof(S3BackupSession))]
public sealed class ConnectS3BackupCommand : S3BackupCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var request = Session is null
            ? RequestFromParameters()
            : new SessionRequest(Session.ProfileName, Session.Region, Session.Endpoint);
        var session = Store.Replace(request, ProcessEnvironment.Instance);
        session.MfaCodeSource = this;
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
                $"Could not connect with profile '{session.ProfileName ?? "(default credentials)"}' at {session.StsSettings.EndpointUrl ?? "the AWS STS endpoint"}: {error.Message}",
                session.ProfileName, error);
        }

        Store.SetDefault(session);
        var record = session.ToRecord(isDefault: true);
        await WriteVerboseAsync($"Connected as {record.Arn ?? "an identity this endpoint does not report"} ({record.IdentitySource}).").ConfigureAwait(false);
        if (PassThru)
        {
            await WriteObjectAsync(record).ConfigureAwait(false);
        }
    }
}
