using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using System.Xml.Linq;
using Amazon.Runtime;
using S3Replication.Batch;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Batch;

public class S3ControlClientTests
{
    private const string Account = "111122223333";
    private const string Endpoint = "http://s3control.test:9000";

    private static S3ControlClient Client(RecordingHandler http, string? endpoint = Endpoint, string region = "eu-west-2") =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new ClientSettings(region, endpoint, false, null, null, null, null), http,
            delay: (_, _) => Task.CompletedTask);

    private static readonly BatchJobRequest Job = new(
        ClientRequestToken: "s3r-0123456789abcdef",
        RoleArn: "arn:aws:iam::111122223333:role/BatchRestore",
        Priority: 10,
        ConfirmationRequired: true,
        Description: "S3Replication restore of s3://sds-data-dev-backup/imap/ to s3://sds-data-dev",
        Manifest: new BatchManifestLocation("arn:aws:s3:::work/s3replication/batch/r1/manifest.csv", "\"9e107d9d372bb6826bd81d3542a419d6\"", "v1", BatchManifestLocation.Versioned),
        Generator: null,
        ReportBucketArn: "arn:aws:s3:::work",
        ReportPrefix: "s3replication/batch/r1",
        Operation: new BatchCopy("arn:aws:s3:::sds-data-dev", null, null, null));

    /// <summary>The same calls as botocore would make them, as the JSON its serialiser takes.</summary>
    private static JsonArray BotocoreCalls() => new()
    {
        new JsonObject
        {
            ["operation"] = "CreateJob",
            ["params"] = new JsonObject
            {
                ["AccountId"] = Account,
                ["ConfirmationRequired"] = true,
                ["Operation"] = new JsonObject { ["S3PutObjectCopy"] = new JsonObject { ["TargetResource"] = "arn:aws:s3:::sds-data-dev", ["MetadataDirective"] = "COPY" } },
                ["Report"] = new JsonObject
                {
                    ["Bucket"] = "arn:aws:s3:::work", ["Format"] = "Report_CSV_20180820", ["Enabled"] = true,
                    ["Prefix"] = "s3replication/batch/r1", ["ReportScope"] = "FailedTasksOnly",
                },
                ["ClientRequestToken"] = Job.ClientRequestToken,
                ["Manifest"] = new JsonObject
                {
                    ["Spec"] = new JsonObject { ["Format"] = "S3BatchOperations_CSV_20180820", ["Fields"] = new JsonArray("Bucket", "Key", "VersionId") },
                    ["Location"] = new JsonObject { ["ObjectArn"] = Job.Manifest!.ObjectArn, ["ObjectVersionId"] = "v1", ["ETag"] = Job.Manifest!.ETag },
                },
                ["Description"] = Job.Description,
                ["Priority"] = 10,
                ["RoleArn"] = Job.RoleArn,
            },
        },
        new JsonObject { ["operation"] = "DescribeJob", ["params"] = new JsonObject { ["AccountId"] = Account, ["JobId"] = "job-00001" } },
        new JsonObject { ["operation"] = "ListJobs", ["params"] = new JsonObject { ["AccountId"] = Account, ["JobStatuses"] = new JsonArray("Active", "Complete"), ["MaxResults"] = 1000 } },
        new JsonObject { ["operation"] = "UpdateJobStatus", ["params"] = new JsonObject { ["AccountId"] = Account, ["JobId"] = "job-00001", ["RequestedJobStatus"] = "Cancelled", ["StatusUpdateReason"] = "stopped by ops" } },
        new JsonObject { ["operation"] = "UpdateJobPriority", ["params"] = new JsonObject { ["AccountId"] = Account, ["JobId"] = "job-00001", ["Priority"] = 50 } },
    };

    private const string DescribeAnswer = $"""
        <DescribeJobResult xmlns="{S3ControlClient.Namespace}">
          <Job>
            <JobId>job-00001</JobId><ConfirmationRequired>true</ConfirmationRequired><Description>d</Description>
            <Status>Active</Status><Priority>10</Priority>
            <Operation><S3PutObjectCopy><TargetResource>arn:aws:s3:::sds-data-dev</TargetResource></S3PutObjectCopy></Operation>
            <ProgressSummary><TotalNumberOfTasks>1000</TotalNumberOfTasks><NumberOfTasksSucceeded>600</NumberOfTasksSucceeded><NumberOfTasksFailed>3</NumberOfTasksFailed>
              <Timers><ElapsedTimeInActiveSeconds>42</ElapsedTimeInActiveSeconds></Timers></ProgressSummary>
            <Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format></Spec><Location><ObjectArn>arn:aws:s3:::work/m.csv</ObjectArn><ETag>e</ETag></Location></Manifest>
            <Report><Bucket>arn:aws:s3:::work</Bucket><Prefix>s3replication/batch/r1</Prefix><Enabled>true</Enabled></Report>
            <FailureReasons><member><FailureCode>Code1</FailureCode><FailureReason>why</FailureReason></member></FailureReasons>
            <CreationTime>2026-12-02T10:00:00Z</CreationTime><RoleArn>arn:aws:iam::111122223333:role/BatchRestore</RoleArn>
          </Job>
        </DescribeJobResult>
        """;

    [Fact]
    public async Task Every_request_matches_what_botocore_sends_for_the_same_parameters()
    {
        var http = new RecordingHandler()
            .Respond(HttpStatusCode.OK, $"<CreateJobResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00001</JobId></CreateJobResult>")
            .Respond(HttpStatusCode.OK, DescribeAnswer)
            .Respond(HttpStatusCode.OK, $"<ListJobsResult xmlns=\"{S3ControlClient.Namespace}\"><Jobs/></ListJobsResult>")
            .Respond(HttpStatusCode.OK, $"<UpdateJobStatusResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00001</JobId><Status>Cancelled</Status></UpdateJobStatusResult>")
            .Respond(HttpStatusCode.OK, $"<UpdateJobPriorityResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00001</JobId><Priority>50</Priority></UpdateJobPriorityResult>");
        using var client = Client(http);

        Assert.Equal("job-00001", await client.CreateJobAsync(Account, Job, default));
        await client.DescribeJobAsync(Account, "job-00001", default);
        await client.ListJobsAsync(Account, new[] { "Active", "Complete" }, default);
        Assert.Equal("Cancelled", await client.UpdateJobStatusAsync(Account, "job-00001", "Cancelled", "stopped by ops", default));
        await client.UpdateJobPriorityAsync(Account, "job-00001", 50, default);

        var expected = Botocore.SerializeS3Control(Endpoint, "eu-west-2", BotocoreCalls());
        Assert.Equal(expected.Count, http.Requests.Count);
        foreach (var (ours, theirs) in http.Requests.Zip(expected, (ours, theirs) => (ours, (JsonObject)theirs!)))
        {
            var url = new Uri((string)theirs["url"]!);
            Assert.Equal((string?)theirs["method"], ours.Method.Method);
            Assert.Equal(url.Host, ours.Uri.Host);
            Assert.Equal(url.AbsolutePath, ours.Uri.AbsolutePath);
            Assert.Equal(Sorted(url.Query), Sorted(ours.Uri.Query));
            Assert.Equal((string?)theirs["headers"]!["x-amz-account-id"], ours.Header("x-amz-account-id"));
            var body = (string)theirs["body"]!;
            if (body.Length == 0)
            {
                Assert.Equal("", ours.Body);
            }
            else
            {
                Assert.True(XNode.DeepEquals(Canonical(XElement.Parse(body)), Canonical(XElement.Parse(ours.Body))), $"botocore: {body}\nours:     {ours.Body}");
            }
            var authorization = ours.Header("Authorization");
            Assert.Contains("/eu-west-2/s3/aws4_request", authorization);
            Assert.Contains("x-amz-account-id", authorization.Split("SignedHeaders=")[1].Split(',')[0]);
            Assert.Contains("host", authorization.Split("SignedHeaders=")[1].Split(',')[0]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_replication_job_with_a_generated_or_a_given_manifest_is_what_botocore_sends(bool generated)
    {
        var job = Job with
        {
            Operation = new BatchReplicate(),
            Manifest = generated ? null : new BatchManifestLocation("arn:aws:s3:::work/m.csv", "\"e\"", null, BatchManifestLocation.Latest),
            Generator = generated
                ? new BatchManifestGenerator("arn:aws:s3:::sds-data-dev", Account, new[] { "NONE", "FAILED" },
                    new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), "imap/")
                : null,
        };
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, $"<CreateJobResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00002</JobId></CreateJobResult>");
        using var client = Client(http);
        await client.CreateJobAsync(Account, job, default);

        var parameters = new JsonObject
        {
            ["AccountId"] = Account,
            ["ConfirmationRequired"] = true,
            ["Operation"] = new JsonObject { ["S3ReplicateObject"] = new JsonObject() },
            ["Report"] = new JsonObject
            {
                ["Bucket"] = "arn:aws:s3:::work", ["Format"] = "Report_CSV_20180820", ["Enabled"] = true,
                ["Prefix"] = "s3replication/batch/r1", ["ReportScope"] = "FailedTasksOnly",
            },
            ["ClientRequestToken"] = Job.ClientRequestToken,
            ["Description"] = Job.Description,
            ["Priority"] = 10,
            ["RoleArn"] = Job.RoleArn,
        };
        if (generated)
        {
            parameters["ManifestGenerator"] = new JsonObject
            {
                ["S3JobManifestGenerator"] = new JsonObject
                {
                    ["ExpectedBucketOwner"] = Account,
                    ["SourceBucket"] = "arn:aws:s3:::sds-data-dev",
                    ["Filter"] = new JsonObject
                    {
                        ["EligibleForReplication"] = true,
                        ["CreatedAfter"] = "2026-01-02T03:04:05Z",
                        ["CreatedBefore"] = "2026-12-01T00:00:00Z",
                        ["ObjectReplicationStatuses"] = new JsonArray("NONE", "FAILED"),
                        ["KeyNameConstraint"] = new JsonObject { ["MatchAnyPrefix"] = new JsonArray("imap/") },
                    },
                    ["EnableManifestOutput"] = false,
                },
            };
        }
        else
        {
            parameters["Manifest"] = new JsonObject
            {
                ["Spec"] = new JsonObject { ["Format"] = "S3BatchOperations_CSV_20180820", ["Fields"] = new JsonArray("Bucket", "Key") },
                ["Location"] = new JsonObject { ["ObjectArn"] = "arn:aws:s3:::work/m.csv", ["ETag"] = "\"e\"" },
            };
        }
        var expected = (JsonObject)Botocore.SerializeS3Control(Endpoint, "eu-west-2", new JsonArray(new JsonObject { ["operation"] = "CreateJob", ["params"] = parameters }))[0]!;
        var body = (string)expected["body"]!;
        Assert.True(XNode.DeepEquals(Canonical(XElement.Parse(body)), Canonical(XElement.Parse(Assert.Single(http.Requests).Body))), $"botocore: {body}\nours:     {http.Requests[0].Body}");
    }

    public static TheoryData<string, string> Operations => new()
    {
        { "copy with ACL, KMS key and checksum", """{"S3PutObjectCopy": {"TargetResource": "arn:aws:s3:::sds-data-dev", "CannedAccessControlList": "bucket-owner-full-control", "MetadataDirective": "COPY", "NewObjectMetadata": {"SSEAlgorithm": "KMS"}, "SSEAwsKmsKeyId": "arn:aws:kms:eu-west-2:111122223333:key/k", "ChecksumAlgorithm": "CRC32"}}""" },
        { "plain copy", """{"S3PutObjectCopy": {"TargetResource": "arn:aws:s3:::sds-data-dev", "MetadataDirective": "COPY"}}""" },
        { "restore from Glacier", """{"S3InitiateRestoreObject": {"ExpirationInDays": 7, "GlacierJobTier": "BULK"}}""" },
    };

    /// <summary>The operations a Batch restore creates, each with what botocore serialises for the same choices.</summary>
    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Each_operation_of_a_batch_restore_is_what_botocore_sends(string name, string botocoreOperation)
    {
        BatchOperation operation = name switch
        {
            "plain copy" => new BatchCopy("arn:aws:s3:::sds-data-dev", null, null, null),
            "restore from Glacier" => new BatchInitiateRestore(7, "BULK"),
            _ => new BatchCopy("arn:aws:s3:::sds-data-dev", "bucket-owner-full-control", "arn:aws:kms:eu-west-2:111122223333:key/k", "CRC32"),
        };
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, $"<CreateJobResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00003</JobId></CreateJobResult>");
        using var client = Client(http);
        await client.CreateJobAsync(Account, Job with { Operation = operation }, default);

        var parameters = (JsonObject)BotocoreCalls()[0]!["params"]!.DeepClone();
        parameters["Operation"] = JsonNode.Parse(botocoreOperation);
        var expected = (JsonObject)Botocore.SerializeS3Control(Endpoint, "eu-west-2", new JsonArray(new JsonObject { ["operation"] = "CreateJob", ["params"] = parameters }))[0]!;
        var body = (string)expected["body"]!;
        Assert.True(XNode.DeepEquals(Canonical(XElement.Parse(body)), Canonical(XElement.Parse(Assert.Single(http.Requests).Body))), $"botocore: {body}\nours:     {http.Requests[0].Body}");
    }

    /// <summary>
    /// A computed-checksum compare's job (one per bucket): S3ComputeObjectChecksum over the whole object, no approval, a
    /// report of every task, a manifest of current objects (Bucket,Key) or of pinned versions; the same body as botocore
    /// 1.43.11 serialises, and the operation exactly as it writes it, member order included.
    /// </summary>
    [Theory]
    [InlineData("CRC64NVME", false)]
    [InlineData("SHA256", true)]
    public async Task A_compute_checksum_job_is_what_botocore_sends(string algorithm, bool pinned)
    {
        var job = Job with
        {
            ConfirmationRequired = false,
            Operation = new BatchComputeChecksum(algorithm),
            ReportScope = BatchReportScope.AllTasks,
            Manifest = new BatchManifestLocation("arn:aws:s3:::work/s3replication/verify/r1/m.csv", "e", null, pinned ? BatchManifestLocation.Versioned : BatchManifestLocation.Latest),
        };
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, $"<CreateJobResult xmlns=\"{S3ControlClient.Namespace}\"><JobId>job-00004</JobId></CreateJobResult>");
        using var client = Client(http);
        await client.CreateJobAsync(Account, job, default);

        var parameters = (JsonObject)BotocoreCalls()[0]!["params"]!.DeepClone();
        parameters["ConfirmationRequired"] = false;
        parameters["Operation"] = new JsonObject { ["S3ComputeObjectChecksum"] = new JsonObject { ["ChecksumAlgorithm"] = algorithm, ["ChecksumType"] = "FULL_OBJECT" } };
        parameters["Report"]!["ReportScope"] = "AllTasks";
        parameters["Manifest"] = new JsonObject
        {
            ["Spec"] = new JsonObject { ["Format"] = "S3BatchOperations_CSV_20180820", ["Fields"] = pinned ? new JsonArray("Bucket", "Key", "VersionId") : new JsonArray("Bucket", "Key") },
            ["Location"] = new JsonObject { ["ObjectArn"] = job.Manifest.ObjectArn, ["ETag"] = "e" },
        };
        var expected = (JsonObject)Botocore.SerializeS3Control(Endpoint, "eu-west-2", new JsonArray(new JsonObject { ["operation"] = "CreateJob", ["params"] = parameters }))[0]!;
        var (body, ours) = ((string)expected["body"]!, Assert.Single(http.Requests).Body);
        Assert.True(XNode.DeepEquals(Canonical(XElement.Parse(body)), Canonical(XElement.Parse(ours))), $"botocore: {body}\nours:     {ours}");
        var operation = $"<Operation><S3ComputeObjectChecksum><ChecksumAlgorithm>{algorithm}</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>" +
            "</S3ComputeObjectChecksum></Operation>";
        Assert.Contains(operation, body);
        Assert.Contains(operation, ours);
        Assert.Contains("<ReportScope>AllTasks</ReportScope>", ours);
        Assert.Contains("<ConfirmationRequired>false</ConfirmationRequired>", ours);
    }

    /// <summary>
    /// The XML with sibling elements in name order (list members keep theirs): botocore writes a structure's members in
    /// the order the caller gave them, and S3 Control reads them in any order.
    /// </summary>
    private static XElement Canonical(XElement element) => element.HasElements
        ? new XElement(element.Name, element.Attributes(),
            (element.Elements().All(child => child.Name.LocalName == "member") ? element.Elements() : element.Elements().OrderBy(child => child.Name.LocalName, StringComparer.Ordinal))
                .Select(Canonical))
        : new XElement(element);

    private static string Sorted(string query) => string.Join("&", query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).OrderBy(part => part, StringComparer.Ordinal));

    [Fact]
    public async Task A_described_job_carries_its_counts_report_and_failure_reasons()
    {
        using var client = Client(new RecordingHandler().Respond(HttpStatusCode.OK, DescribeAnswer));
        var job = await client.DescribeJobAsync(Account, "job-00001", default);
        Assert.Equal(("Active", "S3PutObjectCopy", 10, 1000L, 600L, 3L, 42L), (job.Status, job.Operation, job.Priority, job.TotalTasks, job.SucceededTasks, job.FailedTasks, job.ElapsedSeconds));
        Assert.Equal(("arn:aws:s3:::work", "s3replication/batch/r1", "arn:aws:s3:::work/m.csv"), (job.ReportBucket, job.ReportPrefix, job.ManifestArn));
        Assert.Equal(new[] { "Code1: why" }, job.FailureReasons);
        Assert.Equal(new DateTime(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc), job.CreationTime);
    }

    [Theory]
    [InlineData(null, "eu-west-2", "https://111122223333.s3-control.eu-west-2.amazonaws.com/")]
    [InlineData(null, "cn-north-1", "https://111122223333.s3-control.cn-north-1.amazonaws.com.cn/")]
    [InlineData("http://s3control.test:9000", "eu-west-2", "http://111122223333.s3control.test:9000/")]
    [InlineData("http://127.0.0.1:9000", "eu-west-2", "http://127.0.0.1:9000/")]
    [InlineData("http://localhost:9000", "eu-west-2", "http://localhost:9000/")]
    public void The_account_id_goes_in_front_of_the_host_unless_it_is_an_address(string? endpoint, string region, string expected)
    {
        using var client = Client(new RecordingHandler(), endpoint, region);
        Assert.Equal(expected, client.EndpointFor(Account).AbsoluteUri);
    }

    [Theory]
    [InlineData("<ErrorResponse><Error><Code>InvalidRequest</Code><Message>Manifest ETag mismatch</Message></Error><RequestId>r</RequestId></ErrorResponse>")]
    [InlineData("<Error><Code>InvalidRequest</Code><Message>Manifest ETag mismatch</Message><RequestId>r</RequestId></Error>")]
    public async Task Errors_are_read_from_both_body_shapes(string body)
    {
        using var client = Client(new RecordingHandler { Responder = _ => (HttpStatusCode.BadRequest, body) });
        var error = await Assert.ThrowsAsync<S3ControlException>(() => client.CreateJobAsync(Account, Job, default));
        Assert.Equal(("InvalidRequest", "Manifest ETag mismatch", HttpStatusCode.BadRequest), (error.Code, error.Message, error.Status));
    }

    [Fact]
    public async Task Listing_follows_next_tokens()
    {
        var http = new RecordingHandler()
            .Respond(HttpStatusCode.OK, $"<ListJobsResult xmlns=\"{S3ControlClient.Namespace}\"><NextToken>page2</NextToken><Jobs><member><JobId>job-1</JobId><Status>Complete</Status></member></Jobs></ListJobsResult>")
            .Respond(HttpStatusCode.OK, $"<ListJobsResult xmlns=\"{S3ControlClient.Namespace}\"><Jobs><member><JobId>job-2</JobId><Status>Active</Status><Operation>S3PutObjectCopy</Operation></member></Jobs></ListJobsResult>");
        using var client = Client(http);
        var jobs = await client.ListJobsAsync(Account, Array.Empty<string>(), default);
        Assert.Equal(new[] { "job-1", "job-2" }, jobs.Select(job => job.JobId));
        Assert.Equal("S3PutObjectCopy", jobs[1].Operation);
        Assert.Contains("nextToken=page2", http.Requests[1].Uri.Query);
    }
}
