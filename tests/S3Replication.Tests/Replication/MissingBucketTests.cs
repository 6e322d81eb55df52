using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Replication;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Replication;

/// <summary>
/// A replication configuration read from a bucket that does not exist. The SDK answers every 404 to GetBucketReplication
/// with an empty response, so NoSuchBucket and "no configuration" arrive alike; the replication cmdlets must still
/// tell a misspelt bucket from one without rules.
/// </summary>
public class MissingBucketTests
{
    private const string NoSuchBucket = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>sds-data-dve</BucketName></Error>";
    private const string NoConfiguration = "<Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message></Error>";
    private const string Versioned = """<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>""";

    /// <summary>A server that answers GetBucketReplication and GetBucketVersioning as given, and records everything else as unexpected.</summary>
    private static (ReplicationService Service, RecordingHandler Http) Server((HttpStatusCode, string) replication, (HttpStatusCode, string) versioning)
    {
        var http = new RecordingHandler
        {
            Responder = request => request.Uri.Query.Contains("replication") ? replication
                : request.Uri.Query.Contains("versioning") ? versioning
                : (HttpStatusCode.InternalServerError, "<Error><Code>Unexpected</Code></Error>"),
        };
        return (new ReplicationService(RecordingHttpClientFactory.S3Client(http), TimeSpan.Zero), http);
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_BucketNotFound_naming_it_not_a_bucket_without_rules()
    {
        var (service, _) = Server((HttpStatusCode.NotFound, NoSuchBucket), (HttpStatusCode.NotFound, NoSuchBucket));

        var failure = await Assert.ThrowsAsync<S3BackupException>(() => service.GetRequiringBucketAsync("sds-data-dve", default));

        Assert.Equal(ErrorId.BucketNotFound, failure.ErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, failure.Category);
        Assert.Equal("sds-data-dve", failure.Target);
        Assert.Contains("bucket sds-data-dve", failure.Message);
        Assert.Contains("does not exist", failure.Message);
    }

    [Fact]
    public async Task An_existing_bucket_answering_404_for_its_configuration_has_none_after_one_versioning_read()
    {
        var (service, http) = Server((HttpStatusCode.NotFound, NoConfiguration), (HttpStatusCode.OK, Versioned));

        Assert.Null(await service.GetRequiringBucketAsync("sds-data-dev", default));

        Assert.Equal(new[] { "/sds-data-dev/?replication", "/sds-data-dev/?versioning" }, http.Requests.Select(request => request.PathAndQuery));
    }

    [Fact]
    public async Task An_empty_configuration_answered_200_needs_no_second_request()
    {
        var (service, http) = Server((HttpStatusCode.OK, """<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ReplicationConfiguration>"""),
            (HttpStatusCode.OK, Versioned));

        Assert.Null(await service.GetRequiringBucketAsync("sds-data-dev", default));

        Assert.Single(http.Requests);
    }

    [Fact]
    public async Task A_refused_versioning_read_leaves_the_bucket_taken_as_existing_without_configuration()
    {
        var (service, _) = Server((HttpStatusCode.NotFound, NoConfiguration),
            (HttpStatusCode.Forbidden, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"));

        Assert.Null(await service.GetRequiringBucketAsync("sds-data-dev", default));
    }

    [Fact]
    public async Task The_restore_guard_still_reads_a_missing_bucket_as_one_without_configuration()
    {
        var (service, http) = Server((HttpStatusCode.NotFound, NoSuchBucket), (HttpStatusCode.NotFound, NoSuchBucket));

        Assert.Null(await service.GetAsync("sds-data-dve", default));

        Assert.Single(http.Requests);
    }

    [Fact]
    public async Task Changing_a_rule_of_a_bucket_that_does_not_exist_fails_before_any_prompt_or_write()
    {
        var (service, http) = Server((HttpStatusCode.NotFound, NoSuchBucket), (HttpStatusCode.NotFound, NoSuchBucket));
        var prompted = false;

        var failure = await Assert.ThrowsAsync<S3BackupException>(() => service.ReadModifyWriteAsync("sds-data-dve", "ReplicateToBackup",
            existing => ConfigurationMerger.Remove(existing, "sds-data-dve", "ReplicateToBackup"),
            (_, _) => { prompted = true; return Task.FromResult(true); }, default));

        Assert.Equal(ErrorId.BucketNotFound, failure.ErrorId);
        Assert.False(prompted);
        Assert.All(http.Requests, request => Assert.Equal(HttpMethod.Get, request.Method));
    }
}
