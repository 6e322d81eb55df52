using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;

namespace S3Replication.Tests.Support;

/// <summary>An S3 endpoint answering from a function of each request (binary responses allowed), recording what was sent.</summary>
internal sealed class FakeS3 : HttpMessageHandler
{
    private readonly Func<RecordedRequest, HttpResponseMessage> _answer;
    public FakeS3(Func<RecordedRequest, HttpResponseMessage> answer) => _answer = answer;
    public List<RecordedRequest> Requests { get; } = new();

    /// <summary>An S3 client that sends through this fake.</summary>
    public AmazonS3Client Client() => RecordingHttpClientFactory.S3Client(this);

    public static HttpResponseMessage Xml(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/xml") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sent = await RecordedRequest.ReadAsync(request, cancellationToken);
        lock (Requests)
        {
            Requests.Add(sent);
        }
        return _answer(sent);
    }
}
