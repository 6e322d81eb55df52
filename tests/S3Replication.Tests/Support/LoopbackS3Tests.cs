using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using Xunit;

namespace S3Replication.Tests.Support;

/// <summary>
/// The stand-in the entrance and stop tests stand on answers as S3 does, read by both clients that matter: the AWS SDK
/// for .NET (what the module sends through) and botocore (the aws CLI's library). A stand-in that answered wrongly would
/// make those tests prove nothing.
/// </summary>
public class LoopbackS3Tests
{
    private static LoopbackS3 Planted()
    {
        var s3 = LoopbackS3.Start();
        s3.PageSize = 2;
        var bucket = s3.AddBucket("lb-data");
        bucket.Put("a/1", "one");
        bucket.Put("a/2", "two");
        bucket.Put("a/2", "two, again");
        bucket.Put("a/3", "three");
        bucket.Delete("a/3");
        bucket.Put("b/1", "other prefix", storageClass: "GLACIER");
        bucket.ReplicatesTo.Add("lb-copy");
        s3.AddBucket("lb-copy");
        s3.AddBucket("lb-plain", versioned: false).Put("x", "plain");
        return s3;
    }

    [Fact]
    public async Task The_aws_sdk_reads_listings_heads_copies_and_deletes_as_s3_answers_them()
    {
        using var s3 = Planted();
        var client = s3.Session().S3;

        var listed = new System.Collections.Generic.List<string>();
        var request = new ListObjectsV2Request { BucketName = "lb-data", Prefix = "a/" };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request);
            listed.AddRange(page.S3Objects.Select(item => item.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        Assert.Equal(new[] { "a/1", "a/2" }, listed);   // a/3's newest version is a delete marker

        var versions = new System.Collections.Generic.List<S3ObjectVersion>();
        var versionRequest = new ListVersionsRequest { BucketName = "lb-data", Prefix = "a/" };
        ListVersionsResponse versionPage;
        do
        {
            versionPage = await client.ListVersionsAsync(versionRequest);
            versions.AddRange(versionPage.Versions);
            (versionRequest.KeyMarker, versionRequest.VersionIdMarker) = (versionPage.NextKeyMarker, versionPage.NextVersionIdMarker);
        }
        while (versionPage.IsTruncated == true);
        Assert.Equal(new[] { ("a/1", false, true), ("a/2", false, true), ("a/2", false, false), ("a/3", true, true), ("a/3", false, false) },
            versions.Select(version => (version.Key, version.IsDeleteMarker == true, version.IsLatest == true)));

        var head = await client.GetObjectMetadataAsync("lb-data", "b/1");
        Assert.Equal(("GLACIER", 12L), (head.StorageClass?.Value, head.ContentLength));
        var marker = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.GetObjectMetadataAsync("lb-data", "a/3"));
        Assert.Equal(HttpStatusCode.NotFound, marker.StatusCode);
        var archived = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.CopyObjectAsync("lb-data", "b/1", "lb-copy", "b/1"));
        Assert.Equal("InvalidObjectState", archived.ErrorCode);

        var older = versions.Single(version => version.Key == "a/2" && version.IsLatest != true).VersionId;
        var copied = await client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "lb-data", SourceKey = "a/2", SourceVersionId = older, DestinationBucket = "lb-copy", DestinationKey = "a/2",
        });
        Assert.Equal(older, copied.SourceVersionId);
        Assert.Equal(s3.Bucket("lb-copy").Versions("a/2").Single().VersionId, copied.VersionId);
        using (var read = await client.GetObjectAsync("lb-copy", "a/2"))
        {
            Assert.Equal("two", await new System.IO.StreamReader(read.ResponseStream).ReadToEndAsync());
        }

        var put = await client.PutObjectAsync(new PutObjectRequest { BucketName = "lb-copy", Key = "new", ContentBody = "written" });
        Assert.Equal(LoopbackS3.Md5ETag("written"u8.ToArray()), put.ETag);
        var deleted = await client.DeleteObjectAsync("lb-copy", "new");
        Assert.Equal("true", deleted.DeleteMarker);
        Assert.True(s3.Bucket("lb-copy").Versions("new")[0].IsDeleteMarker);

        // AWS answers 404 ReplicationConfigurationNotFoundError (botocore reads the code, below); SDK v4 hands that back as a
        // 404 response without rules instead of throwing.
        var none = await client.GetBucketReplicationAsync(new GetBucketReplicationRequest { BucketName = "lb-copy" });
        Assert.Equal(HttpStatusCode.NotFound, none.HttpStatusCode);
        Assert.Empty(none.Configuration?.Rules ?? new System.Collections.Generic.List<ReplicationRule>());
        var rules = await client.GetBucketReplicationAsync(new GetBucketReplicationRequest { BucketName = "lb-data" });
        Assert.Equal("arn:aws:s3:::lb-copy", rules.Configuration.Rules.Single().Destination.BucketArn);
        Assert.Equal("Enabled", (await client.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = "lb-data" })).VersioningConfig.Status.Value);
        Assert.Equal("Off", (await client.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = "lb-plain" })).VersioningConfig.Status.Value);

        Assert.DoesNotContain(s3.Log, request => request.End is RequestEnd.Faulted || request.Operation == "Unsupported");
    }

    [Fact]
    public async Task A_request_whose_client_hangs_up_during_its_latency_is_aborted_and_takes_no_effect()
    {
        using var s3 = Planted();
        s3.Latency = (operation, _) => operation == "CopyObject" ? TimeSpan.FromSeconds(5) : TimeSpan.Zero;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s3.Session().S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "lb-data", SourceKey = "a/1", DestinationBucket = "lb-copy", DestinationKey = "a/1",
        }, cancel.Token));

        Assert.True(s3.WaitIdle(TimeSpan.FromSeconds(1)), "the stand-in did not notice that the client went away");
        var copy = Assert.Single(s3.Log, request => request.Operation == "CopyObject");
        Assert.Equal(RequestEnd.Aborted, copy.End);
        Assert.True(copy.Ended - copy.Arrived < TimeSpan.FromSeconds(1), copy.ToString());
        Assert.Empty(s3.Copies);
        Assert.Empty(s3.Bucket("lb-copy").CurrentKeys());
    }

    [Fact]
    public void Botocore_reads_the_same_answers()
    {
        using var s3 = Planted();
        const string script = """
            import json, sys, boto3, botocore.config
            endpoint = sys.argv[1]
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIALOOPBACKTEST",
                              aws_secret_access_key="loopback-secret",
                              config=botocore.config.Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                                            response_checksum_validation="when_required"))
            out = {}
            out["keys"] = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lb-data", Prefix="a/") for o in page.get("Contents", [])]
            out["versions"] = []
            for page in s3.get_paginator("list_object_versions").paginate(Bucket="lb-data", Prefix="a/"):
                for v in page.get("Versions", []): out["versions"].append([v["Key"], v["VersionId"], v["IsLatest"], False])
                for m in page.get("DeleteMarkers", []): out["versions"].append([m["Key"], m["VersionId"], m["IsLatest"], True])
            head = s3.head_object(Bucket="lb-data", Key="b/1")
            out["head"] = [head["StorageClass"], head["ContentLength"], head["ETag"]]
            copy = s3.copy_object(Bucket="lb-copy", Key="c", CopySource={"Bucket": "lb-data", "Key": "a/1"})
            out["copy"] = [copy["VersionId"], copy["CopySourceVersionId"], copy["CopyObjectResult"]["ETag"]]
            try:
                s3.get_bucket_replication(Bucket="lb-copy")
            except s3.exceptions.ClientError as error:
                out["replication"] = error.response["Error"]["Code"]
            print(json.dumps(out))
            """;
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(s3.Endpoint.GetLeftPart(UriPartial.Authority));
        foreach (var variable in new[] { "AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE" })
        {
            start.Environment.Remove(variable);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);

        var answer = JsonNode.Parse(output)!;
        Assert.Equal(new[] { "a/1", "a/2" }, answer["keys"]!.AsArray().Select(key => (string)key!));
        var data = s3.Bucket("lb-data");
        var expected = new[] { "a/1", "a/2", "a/3" }.SelectMany(key => data.Versions(key).Select((version, index) => $"{key} {version.VersionId} {index == 0} {version.IsDeleteMarker}"));
        Assert.Equal(expected.OrderBy(line => line, StringComparer.Ordinal),
            answer["versions"]!.AsArray().Select(row => $"{row![0]} {row[1]} {(bool)row[2]!} {(bool)row[3]!}").OrderBy(line => line, StringComparer.Ordinal));
        Assert.Equal($"GLACIER 12 {data.Versions("b/1")[0].ETag}", string.Join(" ", answer["head"]!.AsArray().Select(value => value!.ToString())));
        Assert.Equal($"{s3.Bucket("lb-copy").Versions("c")[0].VersionId} {data.Versions("a/1")[0].VersionId} {data.Versions("a/1")[0].ETag}",
            string.Join(" ", answer["copy"]!.AsArray().Select(value => value!.ToString())));
        Assert.Equal("ReplicationConfigurationNotFoundError", (string?)answer["replication"]);
        Assert.DoesNotContain(s3.Log, request => request.End is RequestEnd.Faulted || request.Operation == "Unsupported");
    }
}
