using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Session;

/// <summary>
/// Tells whoever listens that the service answered "slow down" (HTTP 503 or 429). It sits below the SDK's own
/// retries, so every refusal is heard at once, not only those that outlasted the SDK's attempts.
/// </summary>
internal sealed class ThrottleSignal
{
    public event Action? Throttled;

    public void Report() => Throttled?.Invoke();

    /// <summary>The HTTP handler that reports throttling answers to <paramref name="signal"/>.</summary>
    public static DelegatingHandler Watch(ThrottleSignal signal, HttpMessageHandler inner) => new Watcher(signal, inner);

    private sealed class Watcher : DelegatingHandler
    {
        private readonly ThrottleSignal _signal;

        public Watcher(ThrottleSignal signal, HttpMessageHandler inner) : base(inner) => _signal = signal;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or (HttpStatusCode)429)
            {
                _signal.Report();
            }
            return response;
        }
    }
}
