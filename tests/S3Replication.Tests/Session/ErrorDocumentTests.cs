using System.Text;
using S3Replication.Session;
using Xunit;

namespace S3Replication.Tests.Session;

/// <summary>A CopyObject answered 200 OK can still have failed: S3 says so in an &lt;Error&gt; document.</summary>
public class ErrorDocumentTests
{
    [Theory]
    [InlineData("<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>", true)]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code></Error>", true)]
    [InlineData("\n\n  <?xml version=\"1.0\"?>\r\n  <Error xmlns=\"\"><Code>InternalError</Code></Error>", true)]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>", false)]
    [InlineData("<CopyObjectResult><ETag>\"e\"</ETag><Error>not a root</Error></CopyObjectResult>", false)]
    [InlineData("<ErrorDocument/>", false)]
    [InlineData("<?xml version=\"1.0\"", false)]
    [InlineData("", false)]
    public void Only_a_document_whose_root_is_Error_is_an_error(string body, bool isError) =>
        Assert.Equal(isError, S3ErrorDocument.Is(Encoding.UTF8.GetBytes(body)));
}
