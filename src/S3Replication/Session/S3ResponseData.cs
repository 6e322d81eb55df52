using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
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

    /// <summary>Response and content headers by name, each one's values joined by commas as the SDK's own adapter gives them.</summary>
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    private S3ResponseData(HttpResponseMessage response, byte[] body)
    {
        _response = response;
        _body = body;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            _headers[header.Key] = string.Join(",", header.Value);
        }
    }

    /// <summary>Reads the whole body: the requests of the lean path answer with a few hundred bytes at most (a HEAD with none).</summary>
    public static async Task<S3ResponseData> ReadAsync(HttpResponseMessage response, bool readBody) =>
        new(response, readBody ? await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false) : Array.Empty<byte>());

    public byte[] Body => _body;

    public long ContentLength => _response.Content.Headers.ContentLength ?? _body.Length;

    public string? ContentType => _response.Content.Headers.ContentType?.ToString();

    public HttpStatusCode StatusCode => _response.StatusCode;

    public bool IsSuccessStatusCode => _response.IsSuccessStatusCode;

    public IHttpResponseBody ResponseBody => this;

    public string[] GetHeaderNames() => _headers.Keys.ToArray();

    public bool IsHeaderPresent(string headerName) => _headers.ContainsKey(headerName);

    /// <summary>The header's value; null when absent.</summary>
    public string? GetHeaderValue(string headerName) => _headers.TryGetValue(headerName, out var value) ? value : null;

    public IEventStreamHeader? GetEventStreamHeader(string headerName) => null;

    public bool IsEventHeaderPresent(string headerName) => false;

    public Stream OpenResponse() => new MemoryStream(_body, writable: false);

    public Task<Stream> OpenResponseAsync() => Task.FromResult(OpenResponse());

    public void Dispose()
    {
    }
}
