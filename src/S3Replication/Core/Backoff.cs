using System;

namespace S3Replication.Core;

/// <summary>Randomised waits, so that many workers or writers that failed together do not retry in lockstep.</summary>
internal static class Backoff
{
    private static readonly Random Random = new();

    /// <summary><paramref name="first"/> doubled for each further attempt, spread over 0.5–1.5 times that.</summary>
    public static TimeSpan Exponential(TimeSpan first, int attempt) => Scaled(first.TotalMilliseconds * Math.Pow(2, attempt - 1), 0.5);

    /// <summary>Between one and two times <paramref name="delay"/>.</summary>
    public static TimeSpan Spread(TimeSpan delay) => Scaled(delay.TotalMilliseconds, 1);

    private static TimeSpan Scaled(double milliseconds, double lowest)
    {
        lock (Random)
        {
            return TimeSpan.FromMilliseconds(milliseconds * (lowest + Random.NextDouble()));
        }
    }
}
