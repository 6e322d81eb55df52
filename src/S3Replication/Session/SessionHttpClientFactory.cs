using System;
using System.Net;
using System.Net.Http;
using Amazon.Runtime;

namespace S3Replication.Session;

/// <summary>
/// One pooled HttpClient for one session's S3 client. The SDK's default shares one pool per configuration across
/// the process (so a restore stopped in one runspace could leave broken connections to another), and with its
/// cache turned off it pools much less (restores measured ~20% slower). This keeps pooling and isolation both.
/// </summary>
internal sealed class SessionHttpClientFactory : HttpClientFactory, IDisposable
{
    // A ceiling for a hung connection: a server-side copy of up to 5 GiB can legitimately take minutes on AWS.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(15);
    private readonly Lazy<HttpClient> _client;

    public SessionHttpClientFactory() =>
        _client = new Lazy<HttpClient>(() => new HttpClient(RequestPacer.Handler(new HttpClientHandler
        {
            // S3's region redirects are followed by the SDK's pipeline and by the lean path (LeanS3Client), re-signed for the new host.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        }))
        {
            Timeout = RequestTimeout,
        });

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client.Value;
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
