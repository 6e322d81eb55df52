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

internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Reads what the SDK sent: header names in lower case, content headers included.</summary>
    public static async Task<RecordedRequest> ReadAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(header => header.Key.ToLowerInvariant(), header => string.Join(",", header.Value));
        var bytes = request.Content is null ? Array.Empty<byte>() : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        return new RecordedRequest(request.Method, request.RequestUri!, headers, Encoding.UTF8.GetString(bytes)) { BodyBytes = bytes };
    }

    public byte[] BodyBytes { get; init; } = Array.Empty<byte>();

    /// <summary>Path and query, percent-decoded.</summary>
    public string PathAndQuery => Uri.UnescapeDataString(Uri.PathAndQuery);

    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : "";

    /// <summary>Form fields of a Query-API body (STS, IAM), decoded.</summary>
    public IReadOnlyDictionary<string, string> Form =>
        Body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(parts => Uri.UnescapeDataString(parts[0].Replace('+', ' ')),
                parts => parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Replace('+', ' ')) : "");
}

/// <summary>Records every request the SDK sends and answers from a script, so tests check exactly what goes on the wire.</summary>
internal sealed class RecordingHandler : HttpMessageHandler
{
    private readonly Queue<(HttpStatusCode Status, string Body)> _responses = new();
    public List<RecordedRequest> Requests { get; } = new();

    /// <summary>Answers requests from their content (a stateful fake server); scripted responses come first.</summary>
    public Func<RecordedRequest, (HttpStatusCode Status, string Body)>? Responder { get; set; }

    public RecordingHandler Respond(HttpStatusCode status, string body)
    {
        _responses.Enqueue((status, body));
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var recorded = await RecordedRequest.ReadAsync(request, cancellationToken);
        Requests.Add(recorded);
        var (status, text) = _responses.Count > 0 ? _responses.Dequeue()
            : Responder is not null ? Responder(recorded)
            : (HttpStatusCode.InternalServerError, "no scripted response");
        return new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, "text/xml") };
    }
}

/// <summary>Makes every SDK client send through the given handler (a recorder or a fake server).</summary>
internal sealed class RecordingHttpClientFactory : HttpClientFactory
{
    private readonly HttpMessageHandler _handler;

    public RecordingHttpClientFactory(HttpMessageHandler handler) => _handler = handler;

    /// <summary>An S3 client (eu-west-2, path style, checksums when required) that sends everything through <paramref name="handler"/>.</summary>
    public static AmazonS3Client S3Client(HttpMessageHandler handler)
    {
        var settings = new ClientSettings("eu-west-2", "http://s3.test", true, null, 1, RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED);
        return new LeanS3Client(new BasicAWSCredentials("AKIATEST", "secret"), AwsSession.S3Config(settings, new RecordingHttpClientFactory(handler)));
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(_handler, disposeHandler: false);
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}

internal static class StsResponses
{
    public static string AssumeRole(string accessKey, string secretKey, string token, string assumedArn, DateTime expiration) => $"""
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <AssumedRoleUser><Arn>{assumedArn}</Arn><AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId></AssumedRoleUser>
            <Credentials>
              <AccessKeyId>{accessKey}</AccessKeyId><SecretAccessKey>{secretKey}</SecretAccessKey>
              <SessionToken>{token}</SessionToken><Expiration>{expiration:yyyy-MM-ddTHH:mm:ssZ}</Expiration>
            </Credentials>
          </AssumeRoleResult>
          <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
        </AssumeRoleResponse>
        """;

    public static string Error(string code, string message) => $"""
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
          <RequestId>req-err</RequestId>
        </ErrorResponse>
        """;
}
