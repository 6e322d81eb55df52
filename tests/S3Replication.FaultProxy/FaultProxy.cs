using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.FaultProxy;

/// <summary>What the proxy does to a request it picks for a fault.</summary>
public enum Fault
{
    /// <summary>503 SlowDown, as S3 throttles; the request never reaches the server.</summary>
    SlowDown,

    /// <summary>500 InternalError; the request never reaches the server.</summary>
    InternalError,

    /// <summary>The connection is reset before the request reaches the server.</summary>
    ResetBeforeForwarding,

    /// <summary>The server carries the request out, then the connection is reset before the response: the client cannot know.</summary>
    ResetAfterForwarding,

    /// <summary>The server's response is cut off halfway through its body, then the connection is reset.</summary>
    TruncatedBody,

    /// <summary>The request is forwarded after a delay.</summary>
    Latency,
}

/// <summary>A request as it reached the proxy.</summary>
public sealed record SeenRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// An HTTP proxy on loopback between a client and an S3 endpoint that injects faults into a given share of the
/// requests. Which requests fail is drawn from a seeded generator in arrival order, so a run's faults reproduce
/// (exactly for sequential clients, in number and mix for parallel ones). Requests are forwarded byte for byte,
/// Host header included, so SigV4 signatures made for the proxy's address stay valid.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Proxy-Connection", "Upgrade", "TE", "Trailer",
    };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private readonly Random _random;
    private readonly Fault[] _faults;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Fault, long> _injected = new();
    private readonly ConcurrentQueue<SeenRequest> _seen = new();
    private long _requests;
    private long _forwarded;
    private long _throttled;

    // The request-rate limit (none when _ratePerSecond is 0): a token bucket refilled continuously, as S3 limits a prefix.
    private double _ratePerSecond;
    private double _burst;
    private double _tokens;
    private DateTime _lastRefill = DateTime.UtcNow;

    private FaultProxy(Uri target, double rate, int seed, Fault[] faults, TimeSpan latency)
    {
        _target = target;
        Rate = rate;
        _random = new Random(seed);
        _faults = faults.Length > 0 ? faults : Enum.GetValues<Fault>();
        Latency = latency;
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = 512 })
        {
            Timeout = TimeSpan.FromMinutes(5),
        };
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>Starts a proxy for <paramref name="target"/> failing <paramref name="rate"/> (0–1) of the requests with the given faults (all kinds when none).</summary>
    public static FaultProxy Start(string target, double rate, int seed, Fault[]? faults = null, int latencyMilliseconds = 100)
    {
        if (rate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The fault rate is a share between 0 and 1.");
        }
        return new FaultProxy(new Uri(target), rate, seed, faults ?? Array.Empty<Fault>(), TimeSpan.FromMilliseconds(latencyMilliseconds));
    }

    /// <summary>
    /// Starts a proxy that behaves like S3 above a prefix's request rate: every request waits <paramref name="latencyMilliseconds"/>,
    /// then is forwarded if the token bucket (<paramref name="requestsPerSecond"/>, <paramref name="burst"/> deep) has a token,
    /// else answered 503 SlowDown. No other faults.
    /// </summary>
    public static FaultProxy StartRateLimited(string target, double requestsPerSecond, int burst, int latencyMilliseconds)
    {
        var proxy = new FaultProxy(new Uri(target), 0, 0, new[] { Fault.Latency }, TimeSpan.FromMilliseconds(latencyMilliseconds))
        {
            _ratePerSecond = requestsPerSecond,
            _burst = burst,
            _tokens = burst,
        };
        return proxy;
    }

    public Uri Endpoint { get; }

    /// <summary>Requests answered 503 SlowDown by the rate limit.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>The share of requests that get a fault; may be changed while running (0 lets everything through).</summary>
    public double Rate { get; set; }

    public TimeSpan Latency { get; }

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests the server received (all but those failed before forwarding).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public IReadOnlyDictionary<string, long> Injected => _faults.ToDictionary(fault => fault.ToString(), fault => _injected.GetValueOrDefault(fault));

    public long InjectedTotal => _injected.Values.Sum();

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private Fault? Draw()
    {
        lock (_random)
        {
            return _random.NextDouble() < Rate ? _faults[_random.Next(_faults.Length)] : null;
        }
    }

    /// <summary>Takes a token of the rate limit; false when the bucket is empty (always true without a limit).</summary>
    private bool Admit()
    {
        if (_ratePerSecond <= 0)
        {
            return true;
        }
        lock (_random)
        {
            var now = DateTime.UtcNow;
            _tokens = Math.Min(_burst, _tokens + (now - _lastRefill).TotalSeconds * _ratePerSecond);
            _lastRefill = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens--;
            return true;
        }
    }

    /// <summary>Every request waits the latency, then takes a token or is refused with SlowDown.</summary>
    private async Task<Fault?> RateLimitAsync()
    {
        await Task.Delay(Latency).ConfigureAwait(false);
        if (Admit())
        {
            return null;
        }
        Interlocked.Increment(ref _throttled);
        return Fault.SlowDown;
    }

    /// <summary>Every request the proxy received, in order: what a client really sent (headers in lower case).</summary>
    public IReadOnlyList<SeenRequest> Seen => _seen.ToList();

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        _seen.Enqueue(new SeenRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "",
            context.Request.Headers.AllKeys.Where(name => name is not null).ToDictionary(name => name!.ToLowerInvariant(), name => context.Request.Headers[name] ?? "")));
        var fault = _ratePerSecond > 0 ? await RateLimitAsync().ConfigureAwait(false) : Draw();
        if (fault is { } injected)
        {
            _injected.AddOrUpdate(injected, 1, (_, count) => count + 1);
        }
        try
        {
            switch (fault)
            {
                case Fault.SlowDown:
                    await ErrorAsync(context, 503, "SlowDown", "Please reduce your request rate.").ConfigureAwait(false);
                    return;
                case Fault.InternalError:
                    await ErrorAsync(context, 500, "InternalError", "We encountered an internal error. Please try again.").ConfigureAwait(false);
                    return;
                case Fault.ResetBeforeForwarding:
                    context.Response.Abort();
                    return;
                case Fault.Latency:
                    await Task.Delay(Latency).ConfigureAwait(false);
                    break;
            }
            await ForwardAsync(context, fault).ConfigureAwait(false);
        }
        catch (Exception error) when (error is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away (or was cut off on purpose): nothing more to send.
            context.Response.Abort();
        }
    }

    private async Task ForwardAsync(HttpListenerContext context, Fault? fault)
    {
        var incoming = context.Request;
        using var outgoing = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), new Uri(_target, incoming.RawUrl));
        byte[]? body = null;
        if (incoming.HasEntityBody)
        {
            using var buffer = new MemoryStream();
            await incoming.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        var contentHeaders = new List<(string, string)>();
        foreach (var name in incoming.Headers.AllKeys.OfType<string>())
        {
            var value = incoming.Headers[name] ?? "";
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                outgoing.Headers.Host = value;
            }
            else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentHeaders.Add((name, value));
            }
            else if (!HopByHop.Contains(name))
            {
                outgoing.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (body is not null || contentHeaders.Count > 0)
        {
            outgoing.Content = new ByteArrayContent(body ?? Array.Empty<byte>());
            foreach (var (name, value) in contentHeaders)
            {
                outgoing.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _upstream.SendAsync(outgoing, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        Interlocked.Increment(ref _forwarded);
        if (fault == Fault.ResetAfterForwarding)
        {
            context.Response.Abort();
            return;
        }
        var reply = context.Response;
        reply.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (HopByHop.Contains(header.Key))
            {
                continue;
            }
            if (header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                reply.ContentType = string.Join(",", header.Value);
                continue;
            }
            try
            {
                reply.Headers.Add(header.Key, string.Join(",", header.Value));
            }
            catch (ArgumentException)
            {
                // A header HttpListener sets itself (Date, Server).
            }
        }
        var payload = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var declared = response.Content.Headers.ContentLength ?? payload.Length;
        reply.ContentLength64 = declared;
        if (incoming.HttpMethod == "HEAD" || payload.Length == 0)
        {
            reply.Close();
            return;
        }
        if (fault == Fault.TruncatedBody)
        {
            await reply.OutputStream.WriteAsync(payload.AsMemory(0, payload.Length / 2)).ConfigureAwait(false);
            await reply.OutputStream.FlushAsync().ConfigureAwait(false);
            reply.Abort();
            return;
        }
        await reply.OutputStream.WriteAsync(payload).ConfigureAwait(false);
        reply.Close();
    }

    private static async Task ErrorAsync(HttpListenerContext context, int status, string code, string message)
    {
        var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        context.Response.Close();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Close();
        _upstream.Dispose();
        _stopping.Dispose();
    }
}
