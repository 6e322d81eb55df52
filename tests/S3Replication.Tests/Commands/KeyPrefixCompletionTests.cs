using System.Linq;
using System.Net;
using System.Threading.Tasks;
using S3Replication.Commands;
using S3Replication.Transfer;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Commands;

/// <summary>What Tab on -Prefix asks S3 and how it lists the answer (the completer itself is exercised by Pester with TabExpansion2).</summary>
public class KeyPrefixCompletionTests
{
    /// <summary>A page as S3 sends it: keys and common prefixes in separate lists, each in key order.</summary>
    private const string Page = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>sds-data-dev-backup</Name><Prefix>imap/</Prefix><Delimiter>/</Delimiter><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
          <Contents><Key>imap/index.csv</Key><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
          <Contents><Key>imap/readme.txt</Key><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
          <CommonPrefixes><Prefix>imap/mag/</Prefix></CommonPrefixes>
          <CommonPrefixes><Prefix>imap/swe/</Prefix></CommonPrefixes>
        </ListBucketResult>
        """;

    [Fact]
    public async Task Lists_one_level_under_what_was_typed_folders_first_with_one_request()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.OK, Page);

        var level = await KeyPrefixListing.NextLevelAsync(RecordingHttpClientFactory.S3Client(http), "sds-data-dev-backup", "imap/", default);

        Assert.Equal(new[] { "imap/mag/", "imap/swe/", "imap/index.csv", "imap/readme.txt" }, level);
        var sent = Assert.Single(http.Requests);
        Assert.StartsWith("/sds-data-dev-backup/?", sent.PathAndQuery);
        Assert.Contains("list-type=2", sent.PathAndQuery);
        Assert.Contains("prefix=imap/", sent.PathAndQuery);
        Assert.Contains("delimiter=/", sent.PathAndQuery);
    }

    [Fact]
    public async Task Nothing_typed_lists_the_top_level_without_a_prefix()
    {
        var http = new RecordingHandler().Respond(HttpStatusCode.OK,
            """<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>imap/</Prefix></CommonPrefixes></ListBucketResult>""");

        var level = await KeyPrefixListing.NextLevelAsync(RecordingHttpClientFactory.S3Client(http), "sds-data-dev-backup", "", default);

        Assert.Equal(new[] { "imap/" }, level);
        Assert.DoesNotContain("prefix=", Assert.Single(http.Requests).PathAndQuery);
    }

    [Theory]
    [InlineData("imap/mag/", "imap/mag/")]
    [InlineData("imap/my folder/", "'imap/my folder/'")]
    [InlineData("imap/it's/", "'imap/it''s/'")]
    [InlineData("imap/a,b/", "'imap/a,b/'")]
    [InlineData("-tmp/", "'-tmp/'")]
    [InlineData("imap/\u2019curly\u2019/", "'imap/\u2019\u2019curly\u2019\u2019/'")]
    public void A_value_PowerShell_would_split_or_expand_is_completed_in_single_quotes(string value, string completionText)
    {
        var result = Completions.Result(value);

        Assert.Equal(completionText, result.CompletionText);
        Assert.Equal(value, result.ListItemText);
    }
}
