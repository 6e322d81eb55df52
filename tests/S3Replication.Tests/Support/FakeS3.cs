using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using S3Replication.Session;

namespace S3Replication.Tests.Support;

internal sealed record Sent(HttpMethod Method, string PathAndQuery, Dictionary<string, string> Headers, string Body);

/// <summary>An S3 endpoint answering from a function of each request (binary responses allowed), recording what was sent.</summary>
internal sealed class FakeS3 : HttpMessageHandler
{
    private readonly Func<Sent, HttpResponseMessage> _answer;
    public FakeS3(Func<Sent, HttpResponseMessage> answer) => _answer = answer;
    public List<Sent> Requests { get; } = new();

    /// <summary>An S3 client (eu-west-2, path style, checksums when required) that sends through this fake.</summary>
    public AmazonS3Client Client()
    {
        var settings = new ClientSettings("eu-west-2", "http://s3.test", true, null, 1, RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED);
        return new AmazonS3Client(new BasicAWSCredentials("AKIATEST", "secret"), AwsSession.S3Config(settings, new RecordingHttpClientFactory(this)));
    }

    public static HttpResponseMessage Xml(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/xml") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(header => header.Key.ToLowerInvariant(), header => string.Join(",", header.Value));
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var sent = new Sent(request.Method, Uri.UnescapeDataString(request.RequestUri!.PathAndQuery), headers, body);
        lock (Requests)
        {
            Requests.Add(sent);
        }
        return _answer(sent);
    }
}
