using System;
using System.Net;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Pipeline;

/// <summary>Which permission a refused request points at, and when the first refusals stop a run.</summary>
public class PermissionTests
{
    public static TheoryData<AmazonWebServiceRequestCase> Requests => new()
    {
        new(new GetObjectRequest { BucketName = "backup", Key = "a/b.cdf" }, "s3:GetObject on arn:aws:s3:::backup/a/b.cdf"),
        new(new GetObjectRequest { BucketName = "backup", Key = "a/b.cdf", VersionId = "v1" }, "s3:GetObjectVersion on arn:aws:s3:::backup/a/b.cdf"),
        new(new GetObjectMetadataRequest { BucketName = "backup", Key = "k", VersionId = "v1" }, "s3:GetObjectVersion on arn:aws:s3:::backup/k"),
        new(new GetObjectTaggingRequest { BucketName = "backup", Key = "k", VersionId = "v1" }, "s3:GetObjectVersionTagging on arn:aws:s3:::backup/k"),
        new(new PutObjectRequest { BucketName = "source", Key = "k" }, "s3:PutObject on arn:aws:s3:::source/k"),
        new(new PutObjectRequest { BucketName = "source", Key = "k", CannedACL = S3CannedACL.BucketOwnerFullControl },
            "s3:PutObject (and s3:PutObjectAcl for the bucket-owner-full-control ACL it sets) on arn:aws:s3:::source/k"),
        new(new UploadPartRequest { BucketName = "source", Key = "k" }, "s3:PutObject on arn:aws:s3:::source/k"),
        new(new CopyObjectRequest { SourceBucket = "backup", SourceKey = "k", SourceVersionId = "v1", DestinationBucket = "source", DestinationKey = "k" },
            "s3:GetObjectVersion on arn:aws:s3:::backup/k and s3:PutObject on arn:aws:s3:::source/k"),
        new(new PutObjectTaggingRequest { BucketName = "source", Key = "k" }, "s3:PutObjectTagging on arn:aws:s3:::source/k"),
        new(new RestoreObjectRequest { BucketName = "backup", Key = "k" }, "s3:RestoreObject on arn:aws:s3:::backup/k"),
        new(new ListVersionsRequest { BucketName = "backup" }, "s3:ListBucketVersions on arn:aws:s3:::backup"),
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Names_the_permission_each_request_needs(AmazonWebServiceRequestCase request) =>
        Assert.Equal(request.Expected, S3Permissions.RequiredFor(request.Request)?.ToString());

    [Fact]
    public void A_bucket_wide_grant_covers_every_key_of_both_sides()
    {
        var copy = S3Permissions.RequiredFor(new CopyObjectRequest { SourceBucket = "backup", SourceKey = "a/b", DestinationBucket = "source", DestinationKey = "a/b" })!;
        Assert.Equal("s3:GetObject on arn:aws:s3:::backup/* and s3:PutObject on arn:aws:s3:::source/*", copy.BucketWide().ToString());
    }

    [Fact]
    public async Task A_refused_request_carries_its_permission_and_the_error_names_only_that()
    {
        var fake = new FakeS3(_ => FakeS3.Xml("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", HttpStatusCode.Forbidden));
        using var client = fake.Client();
        client.ExceptionEvent += S3Permissions.Mark;
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            client.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = "source", Key = "k", Tagging = new Tagging { TagSet = new() } }));
        Assert.Equal("s3:PutObjectTagging on arn:aws:s3:::source/k", S3Permissions.Of(error)?.ToString());

        var explained = AwsErrors.ForFailure(error, "s3:GetObject on the backup and s3:PutObject on the source", "both", "Restoring k", "k");
        Assert.Equal(ErrorId.AccessDenied, explained.ErrorId);
        Assert.Contains("needs s3:PutObjectTagging on arn:aws:s3:::source/k,", explained.Message);
        Assert.DoesNotContain("s3:GetObject", explained.Message);
        Assert.Same(S3Permissions.Of(error), S3Permissions.Of(explained));
    }

    [Fact]
    public void Blame_replaces_the_permission_a_follow_up_request_narrowed_down()
    {
        var error = new AmazonS3Exception("Access Denied") { StatusCode = HttpStatusCode.Forbidden };
        var wrapped = new S3BackupException(ErrorId.AccessDenied, System.Management.Automation.ErrorCategory.PermissionDenied, "denied", null, error);
        error.Data["S3Replication.Permission"] = S3Permissions.RequiredFor(new CopyObjectRequest { SourceBucket = "bbb", SourceKey = "k", DestinationBucket = "sss", DestinationKey = "k" });
        S3Permissions.Blame(wrapped, new IamPermission("s3:PutObject", "arn:aws:s3:::sss/k"));
        Assert.Equal("s3:PutObject on arn:aws:s3:::sss/k", S3Permissions.Of(wrapped)?.ToString());
    }

    [Theory]
    [InlineData("AccessDenied", "The service returned an error with Error Code AccessDenied and HTTP Body: <?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message></Message></Error>", "AccessDenied")]
    [InlineData("AccessDenied", "The service returned an error with Error Code AccessDenied and HTTP Body: <Error><Code>AccessDenied</Code><Message>Role &amp; policy say no.</Message></Error>", "AccessDenied: Role & policy say no")]
    [InlineData("NoSuchBucket", "The specified bucket does not exist", "NoSuchBucket: The specified bucket does not exist")]
    [InlineData("SlowDown", "", "SlowDown")]
    public void A_service_error_reads_as_its_code_and_reason_never_raw_xml(string code, string message, string shown) =>
        Assert.Equal(shown, AwsErrors.CodeAndMessage(new AmazonS3Exception(message) { ErrorCode = code }));

    private static S3BackupException Denied(string action, string key)
    {
        var error = new AmazonS3Exception("Access Denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" };
        error.Data["S3Replication.Permission"] = new IamPermission(action, $"arn:aws:s3:::source/{key}");
        return AwsErrors.ForS3(error, "unused", "unused", $"Restoring {key}", key);
    }

    [Fact]
    public void The_first_five_denials_of_one_permission_stop_the_run_naming_the_bucket_wide_grant()
    {
        var watch = new RepeatedDenial();
        for (var index = 0; index < RepeatedDenial.Threshold - 1; index++)
        {
            watch.Observe(Denied("s3:PutObject", $"k{index}"));
            Assert.Null(watch.StopError);
        }
        watch.Observe(Denied("s3:PutObject", "last"));
        var stop = Assert.IsType<S3BackupException>(watch.StopError);
        Assert.Equal(ErrorId.AccessDenied, stop.ErrorId);
        Assert.Contains("first 5 objects tried were all denied", stop.Message);
        Assert.Contains("The identity needs s3:PutObject on arn:aws:s3:::source/*,", stop.Message);
    }

    [Theory]
    [InlineData("success first")]
    [InlineData("success later")]
    [InlineData("other permission")]
    [InlineData("other error")]
    public void A_success_or_a_different_failure_among_the_first_lets_the_run_go_on(string interruption)
    {
        var watch = new RepeatedDenial();
        if (interruption == "success first")
        {
            watch.Observe(null);
        }
        watch.Observe(Denied("s3:PutObject", "a"));
        watch.Observe(interruption switch
        {
            "other permission" => Denied("s3:PutObjectTagging", "b"),
            "other error" => new S3BackupException(ErrorId.AwsRequestFailed, System.Management.Automation.ErrorCategory.ConnectionError, "reset", null),
            _ => null,
        });
        for (var index = 0; index < 20; index++)
        {
            watch.Observe(Denied("s3:PutObject", $"k{index}"));
        }
        Assert.Null(watch.StopError);
    }

    [Fact]
    public void The_errors_of_the_first_refusals_are_dropped_when_the_run_stops_for_them_and_later_refusals_are_not_shown()
    {
        var watch = new RepeatedDenial();
        for (var index = 0; index < RepeatedDenial.Threshold; index++)
        {
            var refusal = Denied("s3:PutObject", $"k{index}");
            watch.Observe(refusal);
            Assert.Empty(watch.ErrorsToShow(refusal));
        }
        Assert.NotNull(watch.StopError);
        // Transfers that were in flight at the stop: the same refusal is not shown, anything else is.
        var inFlight = Denied("s3:PutObject", "in-flight");
        watch.Observe(inFlight);
        Assert.Empty(watch.ErrorsToShow(inFlight));
        var other = Denied("s3:PutObjectTagging", "tagged");
        watch.Observe(other);
        Assert.Same(other, Assert.Single(watch.ErrorsToShow(other)));
        Assert.Empty(watch.HeldAtEnd());
    }

    [Theory]
    [InlineData("success", 2)]
    [InlineData("other permission", 3)]
    public void The_held_errors_are_shown_in_order_once_the_run_goes_on(string interruption, int expected)
    {
        var watch = new RepeatedDenial();
        var first = Denied("s3:PutObject", "a");
        var second = Denied("s3:PutObject", "b");
        foreach (var refusal in new[] { first, second })
        {
            watch.Observe(refusal);
            Assert.Empty(watch.ErrorsToShow(refusal));
        }
        var next = interruption == "success" ? null : Denied("s3:GetObject", "c");
        watch.Observe(next);
        var shown = watch.ErrorsToShow(next);
        Assert.Equal(expected, shown.Count);
        Assert.Same(first, shown[0]);
        Assert.Same(second, shown[1]);
        var later = Denied("s3:PutObject", "d");
        watch.Observe(later);
        Assert.Same(later, Assert.Single(watch.ErrorsToShow(later)));
        Assert.Empty(watch.HeldAtEnd());
    }

    [Fact]
    public void A_run_that_ends_with_fewer_refusals_than_the_threshold_shows_them_at_the_end()
    {
        var watch = new RepeatedDenial();
        var refusals = new[] { Denied("s3:PutObject", "a"), Denied("s3:PutObject", "b") };
        foreach (var refusal in refusals)
        {
            watch.Observe(refusal);
            Assert.Empty(watch.ErrorsToShow(refusal));
        }
        Assert.Equal(refusals, watch.HeldAtEnd());
        Assert.Empty(watch.HeldAtEnd());
    }

    [Fact]
    public void A_failure_that_is_not_the_watched_refusal_is_shown_at_once_while_refusals_are_held()
    {
        var watch = new RepeatedDenial();
        var refusal = Denied("s3:PutObject", "a");
        watch.Observe(refusal);
        Assert.Empty(watch.ErrorsToShow(refusal));
        // An error the watch never observed (a listing's, say) does not settle it and is not held.
        var unrelated = new S3BackupException(ErrorId.AwsRequestFailed, System.Management.Automation.ErrorCategory.ConnectionError, "reset", null);
        Assert.Same(unrelated, Assert.Single(watch.ErrorsToShow(unrelated)));
        Assert.Equal(new[] { refusal }, watch.HeldAtEnd());
    }
}

/// <summary>A request and the permission it needs, shown by name in the test list.</summary>
public sealed record AmazonWebServiceRequestCase(Amazon.Runtime.AmazonWebServiceRequest Request, string Expected)
{
    public override string ToString() => Request.GetType().Name + " → " + Expected;
}
