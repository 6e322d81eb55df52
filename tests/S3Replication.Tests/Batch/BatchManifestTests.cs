using System.Linq;
using S3Replication.Batch;
using S3Replication.Records;
using Xunit;

namespace S3Replication.Tests.Batch;

public class BatchManifestTests
{
    [Theory]
    [InlineData("imap/mag/f.cdf", "v1", "backup,imap/mag/f.cdf,v1\n")]
    [InlineData("a b/c d.csv", "v2", "backup,a%20b/c%20d.csv,v2\n")]
    [InlineData("x+y%z.csv", "v3", "backup,x%2By%25z.csv,v3\n")]
    [InlineData("ünï/é.csv", "v4", "backup,%C3%BCn%C3%AF/%C3%A9.csv,v4\n")]
    [InlineData("imap//double/f", "v5", "backup,imap//double/f,v5\n")]
    [InlineData("a,b.csv", "v6", "backup,a%2Cb.csv,v6\n")]
    [InlineData("plain.csv", null, "backup,plain.csv,null\n")]
    public void A_row_url_encodes_the_key_keeps_slashes_and_pins_the_version(string key, string? version, string expected) =>
        Assert.Equal(expected, BatchManifest.Row(new S3ObjectRecord { Bucket = "backup", Key = key, VersionId = version }));

    [Fact]
    public void A_1024_byte_key_is_encoded_whole()
    {
        var key = new string('k', 1020) + "/end";
        Assert.Equal($"backup,{key},v\n", BatchManifest.Row(new S3ObjectRecord { Bucket = "backup", Key = key, VersionId = "v" }));
    }

    [Fact]
    public void The_request_token_follows_the_manifest_and_parameters_and_nothing_else()
    {
        var token = BatchManifest.ClientRequestToken("abc", "source", "arn:aws:iam::1:role/r", 10, true, "run");
        Assert.Equal(token, BatchManifest.ClientRequestToken("abc", "source", "arn:aws:iam::1:role/r", 10, true, "run"));
        Assert.NotEqual(token, BatchManifest.ClientRequestToken("abd", "source", "arn:aws:iam::1:role/r", 10, true, "run"));
        Assert.NotEqual(token, BatchManifest.ClientRequestToken("abc", "source", "arn:aws:iam::1:role/r", 11, true, "run"));
        Assert.NotEqual(token, BatchManifest.ClientRequestToken("abc", "source", "arn:aws:iam::1:role/r", 10, false, "run"));
        Assert.InRange(token.Length, 1, 64);
    }
}

public class BatchReportTests
{
    [Fact]
    public void Reads_rows_in_the_real_column_order_with_url_encoded_keys_crlf_and_quoted_messages()
    {
        const string csv = "backup,a%20b/c.csv,v1,failed,503,SlowDown,\"Please reduce your request rate, then retry.\"\r\n" +
                           "backup,%C3%BCn%C3%AF.csv,null,succeeded,200,,Successful\r\n" +
                           "backup,q.csv,v3,failed,403,AccessDenied,\"He said \"\"no\"\"\"\r\n";

        var rows = BatchReport.Rows(csv).ToList();

        Assert.Equal(3, rows.Count);
        Assert.Equal(new BatchTaskResult("backup", "a%20b/c.csv", "v1", "failed", "503", "SlowDown", "Please reduce your request rate, then retry."), rows[0]);
        Assert.Equal("a b/c.csv", rows[0].Key);
        Assert.Equal(("ünï.csv", "null", "succeeded", "200", null), (rows[1].Key, rows[1].VersionId, rows[1].TaskStatus, rows[1].HttpStatusCode, rows[1].ErrorCode));
        Assert.Equal("He said \"no\"", rows[2].ResultMessage);
    }

    [Fact]
    public void Finds_the_result_files_in_the_report_manifest()
    {
        const string manifest = """
            {"Format":"Report_CSV_20180820","ReportCreationDate":"2026-12-02T10:00:00.000Z",
             "Results":[{"TaskExecutionStatus":"failed","Bucket":"work","MD5Checksum":"x","Key":"run//job-1/results/a.csv"},
                        {"TaskExecutionStatus":"succeeded","Bucket":"work","MD5Checksum":"y","Key":"run//job-1/results/b.csv"}],
             "ReportSchema":"Bucket, Key, VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage"}
            """;
        Assert.Equal(new[] { "run//job-1/results/a.csv", "run//job-1/results/b.csv" }, BatchReport.ResultKeys(manifest));
    }

    [Theory]
    [InlineData("s3replication/batch/r1", "job-1", "s3replication/batch/r1/job-job-1")]
    [InlineData("reports/", "abc", "reports//job-abc")]
    public void A_prefix_that_ends_in_a_slash_gives_a_double_slash_as_S3_writes_it(string prefix, string jobId, string expected) =>
        Assert.Equal(expected, BatchReport.JobFolder(prefix, jobId));
}
