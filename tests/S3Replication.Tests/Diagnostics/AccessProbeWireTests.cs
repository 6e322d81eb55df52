using System.Linq;
using System.Net;
using System.Threading.Tasks;
using S3Replication.Diagnostics;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>Probe answers only AWS gives: a replication 404, a bucket in another region, GetCallerIdentity.</summary>
public class AccessProbeWireTests
{
    private const string CallerIdentity = """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
        <Arn>arn:aws:iam::111111111111:user/ops</Arn><UserId>AIDAEXAMPLE</UserId><Account>111111111111</Account>
        </GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>
        """;

    private static (AccessProbe Probe, RecordingHandler Http, ProfileFolder Folder) Probe(string region = "eu-west-2")
    {
        var folder = new ProfileFolder("[profile ops]\n", "[ops]\naws_access_key_id = AKIAOPERATOR\naws_secret_access_key = operatorSecret\n");
        var http = new RecordingHandler();
        var session = SessionFactory.Create(new SessionRequest("ops", region, "http://s3.example.test"), folder.Environment, new RecordingHttpClientFactory(http));
        return (new AccessProbe(session), http, folder);
    }

    [Fact]
    public async Task No_replication_configuration_is_allowed_not_an_error()
    {
        var (probe, http, folder) = Probe();
        using var _ = folder;
        http.Respond(HttpStatusCode.NotFound, "<Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message></Error>");

        var record = await probe.ReplicationAsync("sds-data-dev", default);

        Assert.Equal(("Allowed", "no replication rules"), (record.Outcome.ToString(), record.Detail));
        Assert.Contains("replication", Assert.Single(http.Requests).Uri.Query);
    }

    [Theory]
    [InlineData("eu-west-1", "eu-west-2", "Error", "-Region eu-west-1")]
    [InlineData("", "eu-west-2", "Error", "-Region us-east-1")]
    [InlineData("EU", "eu-west-1", "Allowed", null)]
    [InlineData("default", "us-east-1", "Allowed", null)]
    public async Task A_bucket_in_another_region_is_an_error_naming_it(string location, string sessionRegion, string outcome, string? hint)
    {
        var (probe, http, folder) = Probe(sessionRegion);
        using var _ = folder;
        http.Respond(HttpStatusCode.OK, $"<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{location}</LocationConstraint>");

        var record = await probe.RegionAsync("sds-data-dev", default);

        Assert.Equal(outcome, record.Outcome.ToString());
        if (hint is not null)
        {
            Assert.Contains(hint, record.Hint);
        }
    }

    [Fact]
    public async Task The_identity_comes_from_get_caller_identity_where_there_is_one()
    {
        var (probe, http, folder) = Probe();
        using var _ = folder;
        http.Respond(HttpStatusCode.OK, CallerIdentity);

        var record = await probe.IdentityAsync(default);

        Assert.Equal(("Allowed", "arn:aws:iam::111111111111:user/ops", "sts:GetCallerIdentity"), (record.Outcome.ToString(), record.Detail, record.Action));
        Assert.Equal("GetCallerIdentity", Assert.Single(http.Requests).Form["Action"]);
    }

    /// <summary>Where the account is not known, the probe writes with the ACL a restore would send, and AWS asks s3:PutObjectAcl for it.</summary>
    [Fact]
    public async Task A_denied_write_writes_no_delete_and_names_the_actions_of_a_write_with_an_acl()
    {
        var (probe, http, folder) = Probe();
        using var _ = folder;
        http.Respond(HttpStatusCode.Forbidden, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");

        var records = await probe.WriteAsync("sds-data-dev", default);

        var write = Assert.Single(records);
        Assert.Equal(("Write", "Denied", "s3:PutObject and s3:PutObjectAcl"), (write.Check, write.Outcome.ToString(), write.Action));
        Assert.Contains("s3:PutObject and s3:PutObjectAcl on arn:aws:s3:::sds-data-dev/*", write.Hint);
        var put = Assert.Single(http.Requests);
        Assert.Equal(("PUT", "bucket-owner-full-control"), (put.Method.Method, put.Header("x-amz-acl")));
        Assert.StartsWith("/sds-data-dev/s3backup-access-probe/", put.Uri.AbsolutePath);
    }

    /// <summary>An identity whose account S3 confirms as the bucket's owner writes as a restore would: without an ACL, needing s3:PutObject alone.</summary>
    [Fact]
    public async Task The_owners_account_probes_the_write_without_an_acl()
    {
        var (probe, http, folder) = Probe();
        using var _ = folder;
        http.Respond(HttpStatusCode.OK, CallerIdentity);
        http.Respond(HttpStatusCode.OK, "");
        http.Respond(HttpStatusCode.Forbidden, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
        await probe.IdentityAsync(default);

        var write = Assert.Single(await probe.WriteAsync("sds-data-dev", default));

        Assert.Equal(("Denied", "s3:PutObject"), (write.Outcome.ToString(), write.Action));
        var (head, put) = (http.Requests[1], http.Requests[2]);
        Assert.Equal(("HEAD", "111111111111"), (head.Method.Method, head.Header("x-amz-expected-bucket-owner")));
        Assert.Equal(("PUT", ""), (put.Method.Method, put.Header("x-amz-acl")));
    }
}
