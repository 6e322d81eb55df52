using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using S3Replication.Pipeline;

namespace S3Replication.Transfer;

/// <summary>Whole-object retries for transfers, on top of the SDK's per-request retries.</summary>
internal static class Retry
{
    /// <summary>
    /// Five, as the AWS CLI's legacy mode. The SDK does not retry a response cut off mid-body: through a link failing one
    /// request in ten, 3.5% of single copy attempts failed that way, so three attempts lost about one object in 23,000
    /// and five lose about one in 19 million.
    /// </summary>
    public const int AttemptsPerObject = 5;
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(400);

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, fails for good, or <see cref="AttemptsPerObject"/> tries are spent.</summary>
    public static Task<T> TransientAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken) =>
        TransientAsync(attempt, FirstDelay, cancellationToken);

    internal static async Task<T> TransientAsync<T>(Func<Task<T>> attempt, TimeSpan firstDelay, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Exception error) when (number < AttemptsPerObject && IsTransient(error, cancellationToken))
            {
                await Task.Delay(Backoff.Exponential(firstDelay, number), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Failures worth another attempt of the whole object: throttling, server errors, dropped connections, timeouts.</summary>
    public static bool IsTransient(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        // A response cut off mid-body can reach the SDK's XML reader as a well-formed but incomplete document.
        AmazonUnmarshallingException or System.Xml.XmlException => true,
        AmazonServiceException service => (int)service.StatusCode >= 500 || service.StatusCode == (HttpStatusCode)429
            || service.ErrorCode is "SlowDown" or "Throttling" or "RequestTimeout" or "InternalError" or "ServiceUnavailable",
        HttpRequestException or IOException or OperationCanceledException or AmazonClientException => true,
        _ => false,
    };

    /// <summary>
    /// Failures of one object that end its attempts but not the run: reported, and the rest goes on. A transient failure
    /// that outlasted every attempt is one of them, whatever its type.
    /// </summary>
    public static bool EndsObject(Exception error, CancellationToken cancellationToken) =>
        IsTransient(error, cancellationToken) || error is AmazonServiceException or UnauthorizedAccessException;
}
