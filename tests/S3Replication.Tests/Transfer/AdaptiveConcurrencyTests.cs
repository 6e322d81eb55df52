using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// The adaptive limit against a simulated S3 prefix that accepts a fixed request rate (a token bucket, 503 SlowDown
/// above it), with a fixed round trip, on a virtual clock: deterministic, no sockets, no sleeps.
/// </summary>
public class AdaptiveConcurrencyTests
{
    private sealed record Run(TimeSpan Elapsed, long Requests, long Refused, int FinalLimit, int Cuts);

    /// <summary>
    /// Copies <paramref name="objects"/> objects through a server accepting <paramref name="ratePerSecond"/> requests a
    /// second (burst <paramref name="burst"/>) with <paramref name="roundTrip"/> per request. A refused request is retried
    /// within its slot after the SDK's backoff, as the AWS SDK does, and its answer is reported to the limit.
    /// </summary>
    private static Run Simulate(int objects, double ratePerSecond, int burst, TimeSpan roundTrip, int ceiling = 128)
    {
        var now = TimeSpan.Zero;
        var limit = new AdaptiveConcurrency(ceiling, () => now);
        var events = new PriorityQueue<Action, (TimeSpan, long)>();
        long sequence = 0, requests = 0, refused = 0;
        double tokens = burst;
        var lastRefill = TimeSpan.Zero;
        var random = new Random(7);
        var remaining = objects;
        var done = 0;

        void At(TimeSpan when, Action action) => events.Enqueue(action, (when, sequence++));

        bool Admit()
        {
            tokens = Math.Min(burst, tokens + (now - lastRefill).TotalSeconds * ratePerSecond);
            lastRefill = now;
            if (tokens < 1)
            {
                return false;
            }
            tokens--;
            return true;
        }

        void Send(AdaptiveConcurrency.Lease lease, int attempt)
        {
            // Every attempt asks the pace first, retries included, as the HTTP layer does.
            var wait = limit.TryPace();
            if (wait > TimeSpan.Zero)
            {
                At(now + wait, () => Send(lease, attempt));
                return;
            }
            requests++;
            // The server decides when the request arrives, half a round trip after it was sent.
            At(now + roundTrip / 2, () =>
            {
                var admitted = Admit();
                At(now + roundTrip / 2, () =>
                {
                    limit.Answered(roundTrip, throttled: !admitted);
                    if (admitted)
                    {
                        done++;
                        lease.Dispose();
                        StartMore();
                        return;
                    }
                    refused++;
                    var backoff = TimeSpan.FromMilliseconds(random.Next(0, (int)Math.Min(20_000, 100 * Math.Pow(2, attempt))));
                    At(now + backoff, () => Send(lease, attempt + 1));
                });
            });
        }

        void StartMore()
        {
            while (remaining > 0 && limit.TryAcquire() is { } lease)
            {
                remaining--;
                Send(lease, 0);
            }
        }

        StartMore();
        while (events.TryDequeue(out var action, out var key))
        {
            now = key.Item1;
            action();
        }
        Assert.Equal(objects, done);
        return new Run(now, requests, refused, limit.Limit, limit.Cuts);
    }

    [Theory]
    [InlineData(200, 2_000, 25)]
    [InlineData(150, 1_500, 25)]
    [InlineData(400, 2_000, 25)]
    [InlineData(3_500, 20_000, 30)]
    public void Under_a_rate_limit_it_runs_within_15_percent_of_the_ideal_time_with_under_5_percent_refused(int rate, int objects, int roundTripMs)
    {
        var run = Simulate(objects, rate, burst: Math.Max(10, rate / 20), TimeSpan.FromMilliseconds(roundTripMs));
        var ideal = TimeSpan.FromSeconds((double)objects / rate);

        Assert.True(run.Elapsed <= ideal * 1.15, $"{run.Elapsed.TotalSeconds:N2} s against an ideal {ideal.TotalSeconds:N2} s ({run.Refused} of {run.Requests} refused, {run.Cuts} cuts)");
        Assert.True(run.Refused < 0.05 * run.Requests, $"{run.Refused} of {run.Requests} requests refused ({run.Cuts} cuts, {run.Elapsed.TotalSeconds:N2} s)");
    }

    [Fact]
    public void Without_throttling_it_opens_up_to_the_ceiling_within_a_few_round_trips()
    {
        var run = Simulate(2_000, ratePerSecond: 1e9, burst: 1_000_000, TimeSpan.FromMilliseconds(25));
        Assert.Equal(128, run.FinalLimit);
        Assert.Equal(0, run.Refused);
        // 2,000 copies at 128 a round trip take 16 round trips; slow start from 8 adds about four.
        Assert.True(run.Elapsed <= TimeSpan.FromMilliseconds(25 * 22), $"{run.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void Answers_of_one_episode_cut_the_rate_once_to_70_percent_of_what_was_sent()
    {
        var now = TimeSpan.Zero;
        var limit = new AdaptiveConcurrency(128, () => now);
        var leases = Enumerable.Range(0, 8).Select(_ => limit.TryAcquire()!).ToList();
        leases.ForEach(_ => Assert.Equal(TimeSpan.Zero, limit.TryPace()));
        var cuts = new List<(double From, double To)>();
        limit.Cut += (from, to) => cuts.Add((from, to));
        Assert.Null(limit.RateLimit);

        now = TimeSpan.FromMilliseconds(100);
        limit.Throttled();
        limit.Throttled();
        limit.Throttled();

        var cut = Assert.Single(cuts);
        Assert.Equal(80, cut.From, 3);
        Assert.Equal(56, cut.To, 3);
        Assert.Equal(3, limit.ThrottlesSeen);
        Assert.Equal(56, limit.RateLimit!.Value, 3);
        // The rate holds requests back now, not the window.
        Assert.NotNull(limit.TryAcquire());
        Assert.InRange(limit.TryPace().TotalMilliseconds, 1, 1000 / 56.0 + 1);
        leases.ForEach(lease => lease.Dispose());
    }

    [Fact]
    public async Task A_waiter_gets_the_slot_a_finished_copy_gives_back()
    {
        var limit = new AdaptiveConcurrency(1);
        var first = await limit.AcquireAsync(default);
        var second = limit.AcquireAsync(default);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second).Dispose();
        Assert.Equal(1, limit.Limit);
    }
}
