using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Session;

/// <summary>What paces one run's requests below the SDK: a restore's adaptive rate (the Transfer area implements it).</summary>
internal interface IRequestPacing
{
    /// <summary>Waits until one more request may be sent.</summary>
    Task PaceAsync(CancellationToken cancellationToken);

    /// <summary>The answer to a paced request arrived: how long it took, and whether it asked us to slow down (HTTP 503 or 429).</summary>
    void Answered(TimeSpan roundTrip, bool throttled);
}

/// <summary>
/// The hook below the SDK where every request of a session passes, retries included. A run leases its pacing to the
/// work it starts (<see cref="Lease"/>): the requests made from that work, and only those, are paced and heard, so two
/// runs on one session never share a rate, and the session itself holds none. Below the SDK's own retries, so every
/// refusal is heard at once and the SDK's retries are paced too.
/// </summary>
internal static class RequestPacer
{
    private static readonly AsyncLocal<IRequestPacing?> Current = new();

    /// <summary>
    /// Paces every request made from the calling flow (and the tasks it starts) until disposed. Where the flow is paced by
    /// <paramref name="pacing"/> already (an item started from its run's own flow), nothing changes: setting an AsyncLocal
    /// costs a new execution context, and that would be on every item's path.
    /// </summary>
    public static IDisposable Lease(IRequestPacing pacing)
    {
        var previous = Current.Value;
        if (ReferenceEquals(previous, pacing))
        {
            return Unchanged.Instance;
        }
        Current.Value = pacing;
        return new Release(previous);
    }

    private sealed class Unchanged : IDisposable
    {
        public static readonly Unchanged Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>The HTTP handler that paces requests by the lease of the flow that sends them.</summary>
    public static DelegatingHandler Handler(HttpMessageHandler inner) => new Pacing(inner);

    private sealed class Release : IDisposable
    {
        private readonly IRequestPacing? _previous;

        public Release(IRequestPacing? previous) => _previous = previous;

        public void Dispose() => Current.Value = _previous;
    }

    private sealed class Pacing : DelegatingHandler
    {
        public Pacing(HttpMessageHandler inner) : base(inner)
        {
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Current.Value is not { } pacing)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            await pacing.PaceAsync(cancellationToken).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            pacing.Answered(watch.Elapsed, response.StatusCode is HttpStatusCode.ServiceUnavailable or (HttpStatusCode)429);
            return response;
        }
    }
}
