using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime.EventStreams;
using Amazon.Runtime.Internal.Transform;

namespace S3Replication.Session;

/// <summary>
/// An HTTP response read whole, in the shape AWSSDK.Core's unmarshallers read (its own adapter's constructor is internal),
/// so the lean path parses answers and errors with the SDK's own S3 unmarshallers.
/// </summary>
internal sealed class S3ResponseData : IWebResponseData, IHttpResponseBody
{
    private readonly HttpResponseMessage _response;
    private readonly byte[] _body;

    /// <summary>
    /// Response and content headers by name (a response header first), each one's first value as the SDK's own adapter
    /// gives them: of a header .NET reads as a list (Content-Encoding: gzip, br) the SDK's responses carry the first item.
    /// </summary>
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    private S3ResponseData(HttpResponseMessage response, long? contentLength, byte[] body)
    {
        _response = response;
        _body = body;
        ContentLength = contentLength ?? 0;
        ContentType = response.Content.Headers.ContentType?.MediaType;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (!_headers.ContainsKey(header.Key))
            {
                _headers.Add(header.Key, header.Value.FirstOrDefault() ?? "");
            }
        }
    }

    /// <summary>Reads the whole body: the requests of the lean path answer with a few hundred bytes at most (a HEAD with none).</summary>
    public static async Task<S3ResponseData> ReadAsync(HttpResponseMessage response, bool readBody, CancellationToken cancellationToken = default)
    {
        // The length as the answer gave it, read first as the SDK's adapter reads it, before the body: once a body is
        // read, .NET gives its length for an answer sent chunked (S3's CopyObject), which the SDK's responses give as 0.
        // (A length .NET computes, of content made in memory, then counts among the headers, as for the SDK's adapter.)
        var contentLength = response.Content.Headers.ContentLength;
        if (!readBody)
        {
            return new S3ResponseData(response, contentLength, Array.Empty<byte>());
        }
        using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        using var body = new MemoryStream();
        await stream.CopyToAsync(body, BodyBufferSize, cancellationToken).ConfigureAwait(false);
        return new S3ResponseData(response, contentLength, body.ToArray());
    }

    /// <summary>Stream.CopyToAsync's own default; the bodies read here are a few hundred bytes.</summary>
    private const int BodyBufferSize = 81920;

    public byte[] Body => _body;

    /// <summary>The Content-Length header; 0 without one (a chunked answer), as in the SDK's responses.</summary>
    public long ContentLength { get; }

    /// <summary>The media type alone, without parameters (charset), as the SDK's adapter gives it.</summary>
    public string? ContentType { get; }

    public HttpStatusCode StatusCode => _response.StatusCode;

    public bool IsSuccessStatusCode => _response.IsSuccessStatusCode;

    public IHttpResponseBody ResponseBody => this;

    public string[] GetHeaderNames() => _headers.Keys.ToArray();

    public bool IsHeaderPresent(string headerName) => _headers.ContainsKey(headerName);

    /// <summary>The header's value; empty when absent, as the SDK's adapter answers (an absent x-amz-id-2 reads as "").</summary>
    public string GetHeaderValue(string headerName) => _headers.TryGetValue(headerName, out var value) ? value : "";

    public IEventStreamHeader? GetEventStreamHeader(string headerName) => null;

    public bool IsEventHeaderPresent(string headerName) => false;

    public Stream OpenResponse() => new MemoryStream(_body, writable: false);

    public Task<Stream> OpenResponseAsync() => Task.FromResult(OpenResponse());

    public void Dispose()
    {
    }
}
