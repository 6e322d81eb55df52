using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;

namespace S3Replication.Core;

/// <summary>What a failed attempt means for the work it was part of.</summary>
internal enum FailureKind
{
    /// <summary>Not a failure of the item: Ctrl+C, or a bug. It ends the whole command.</summary>
    Fatal,

    /// <summary>Ends this item (a denial, a missing object) and is not retried; the rest goes on.</summary>
    Permanent,

    /// <summary>Worth another attempt: a server error, a dropped connection, a response cut off.</summary>
    Transient,

    /// <summary>The service asked us to slow down: retried for as long as the policy's throttle budget allows, attempts aside.</summary>
    Throttled,
}

/// <summary>One retry about to happen, for the verbose stream.</summary>
internal sealed record RetryEvent(int Attempt, FailureKind Kind, TimeSpan Delay, Exception Error)
{
    public string Describe(string what) =>
        $"{what}: attempt {Attempt} {(Kind == FailureKind.Throttled ? "was throttled" : "failed")} ({Reason(Error)}); retrying in {Delay.TotalSeconds:0.0} s.";

    private static string Reason(Exception error) => error switch
    {
        AmazonServiceException service when !string.IsNullOrEmpty(service.ErrorCode) => $"{service.ErrorCode}, HTTP {(int)service.StatusCode}",
        AmazonServiceException service => $"HTTP {(int)service.StatusCode}",
        _ => $"{error.GetType().Name}: {error.Message}",
    };
}

/// <summary>
/// The module's one retry loop: how many attempts, how long to wait between them (jittered exponential backoff),
/// which failures are worth another attempt (a classifier per API family), and a hook that reports each retry.
/// Throttling does not use up attempts: a throttled item is retried until <see cref="ThrottledFor"/> has passed
/// since it was first throttled, so a slow-down from the service never fails an object by itself.
/// </summary>
internal sealed record RetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan LongestDelay, Func<Exception, CancellationToken, FailureKind> Classify)
{
    /// <summary>How long an item may go on being throttled before the throttling counts as its failure.</summary>
    public TimeSpan ThrottledFor { get; init; } = TimeSpan.Zero;

    /// <summary>Stop retrying once this much time has passed since the first attempt (none: attempts alone decide).</summary>
    public TimeSpan? GiveUpAfter { get; init; }

    public Action<RetryEvent>? OnRetry { get; init; }

    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public Func<DateTime> Clock { get; init; } = () => DateTime.UtcNow;

    /// <summary>Whether <paramref name="error"/>, once retries are spent, ends only its item (true) or the command (false).</summary>
    public bool EndsItem(Exception error, CancellationToken cancellationToken) => Classify(error, cancellationToken) != FailureKind.Fatal;

    public async Task RunAsync(Func<CancellationToken, Task> attempt, CancellationToken cancellationToken) =>
        await RunAsync(async token => { await attempt(token).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var started = Clock();
        DateTime? throttledSince = null;
        var failedAttempts = 0;
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (NextRetry(error, number, started, ref throttledSince, ref failedAttempts, cancellationToken) is { } retry)
            {
                OnRetry?.Invoke(retry);
                await Delay(retry.Delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The retry to make after <paramref name="error"/>, or null when it should surface now.</summary>
    private RetryEvent? NextRetry(Exception error, int number, DateTime started, ref DateTime? throttledSince, ref int failedAttempts, CancellationToken cancellationToken)
    {
        var kind = Classify(error, cancellationToken);
        if (kind is FailureKind.Fatal or FailureKind.Permanent)
        {
            return null;
        }
        var now = Clock();
        TimeSpan? delay = null;
        if (kind == FailureKind.Throttled)
        {
            throttledSince ??= now;
            if (now - throttledSince.Value < ThrottledFor)
            {
                delay = Capped(number);
            }
        }
        if (delay is null && ++failedAttempts < Attempts)
        {
            delay = Capped(failedAttempts);
        }
        if (delay is not { } wait || (GiveUpAfter is { } limit && now + wait - started > limit))
        {
            return null;
        }
        return new RetryEvent(number, kind, wait, error);
    }

    private TimeSpan Capped(int attempt)
    {
        var delay = Backoff.Exponential(FirstDelay, Math.Min(attempt, 30));
        return delay < LongestDelay ? delay : Backoff.Spread(TimeSpan.FromTicks(LongestDelay.Ticks / 2));
    }
}

/// <summary>The retry policies of the module's API families.</summary>
internal static class RetryPolicies
{
    /// <summary>
    /// Attempts per S3 object or listing page: five, as the AWS CLI's legacy mode. The SDK does not retry a response cut
    /// off mid-body: through a link failing one request in ten, 3.5% of single copy attempts failed that way, so three
    /// attempts lost about one object in 23,000 and five lose about one in 19 million.
    /// </summary>
    public const int S3Attempts = 5;

    /// <summary>
    /// Per-request retries: on top of the SDK's own for the requests its pipeline sends, alone for HeadObject and CopyObject
    /// (the session client's lean path makes one attempt).
    /// </summary>
    public static readonly RetryPolicy S3 = new(S3Attempts, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(20), ClassifyS3)
    {
        ThrottledFor = TimeSpan.FromMinutes(15),
    };

    /// <summary>Throttling, server errors, dropped connections and cut-off responses are retried; denials and bugs are not.</summary>
    public static FailureKind ClassifyS3(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => FailureKind.Fatal,
        // A response cut off mid-body can reach the SDK's XML reader as a well-formed but incomplete document.
        AmazonUnmarshallingException or System.Xml.XmlException => FailureKind.Transient,
        AmazonServiceException service when IsThrottling(service.ErrorCode, service.StatusCode) => FailureKind.Throttled,
        AmazonServiceException service => (int)service.StatusCode >= 500 || service.ErrorCode is "RequestTimeout" or "InternalError"
            ? FailureKind.Transient : FailureKind.Permanent,
        HttpRequestException or IOException or OperationCanceledException or AmazonClientException => FailureKind.Transient,
        UnauthorizedAccessException => FailureKind.Permanent,
        S3BackupException => FailureKind.Permanent,
        _ => FailureKind.Fatal,
    };

    /// <summary>S3's SlowDown (503), and the throttling codes and 429 of the other AWS APIs.</summary>
    public static bool IsThrottling(string? code, HttpStatusCode status) =>
        status == (HttpStatusCode)429
        || code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded" or "TooManyRequestsException" or "RequestThrottled"
            or "ServiceUnavailable" or "Busy"
        || (status == HttpStatusCode.ServiceUnavailable && string.IsNullOrEmpty(code));
}
