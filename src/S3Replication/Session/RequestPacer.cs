using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Transfer;

namespace S3Replication.Session;

/// <summary>
/// A session's hook below the SDK, where every request passes, retries included: while a restore runs, its
/// <see cref="AdaptiveConcurrency"/> is attached here, paces each request and hears each answer (HTTP 503 and 429 are
/// throttling). Below the SDK's own retries, so every refusal is heard at once, and the SDK's retries are paced too.
/// </summary>
internal sealed class RequestPacer
{
    private AdaptiveConcurrency? _limit;

    public void Attach(AdaptiveConcurrency limit) => Volatile.Write(ref _limit, limit);

    public void Detach(AdaptiveConcurrency limit) => Interlocked.CompareExchange(ref _limit, null, limit);

    /// <summary>The HTTP handler that paces requests through this pacer.</summary>
    public DelegatingHandler Handler(HttpMessageHandler inner) => new Pacing(this, inner);

    private sealed class Pacing : DelegatingHandler
    {
        private readonly RequestPacer _pacer;

        public Pacing(RequestPacer pacer, HttpMessageHandler inner) : base(inner) => _pacer = pacer;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var limit = Volatile.Read(ref _pacer._limit);
            if (limit is null)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            await limit.PaceAsync(cancellationToken).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            limit.Answered(watch.Elapsed, response.StatusCode is HttpStatusCode.ServiceUnavailable or (HttpStatusCode)429);
            return response;
        }
    }
}
