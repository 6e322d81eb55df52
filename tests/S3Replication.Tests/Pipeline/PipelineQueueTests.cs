using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Pipeline;
using Xunit;

namespace S3Replication.Tests.Pipeline;

public class PipelineQueueTests
{
    [Fact]
    public async Task Items_from_many_threads_arrive_each_once_and_in_each_threads_order()
    {
        var queue = new PipelineQueue<(int Producer, int Sequence)>();
        var producers = Enumerable.Range(0, 8).Select(producer => Task.Run(() =>
        {
            for (var sequence = 0; sequence < 5_000; sequence++)
            {
                Assert.True(queue.TryAdd((producer, sequence)));
            }
        })).ToArray();
        _ = Task.WhenAll(producers).ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);

        var taken = await Task.Run(() => queue.GetConsumingEnumerable().ToList());

        Assert.Equal(8 * 5_000, taken.Count);
        foreach (var producer in taken.GroupBy(item => item.Producer))
        {
            Assert.Equal(Enumerable.Range(0, 5_000), producer.Select(item => item.Sequence));
        }
    }

    [Fact]
    public void After_completion_nothing_is_added_and_the_taker_gets_what_was_queued_then_the_end()
    {
        var queue = new PipelineQueue<string>();
        Assert.True(queue.TryAdd("a"));
        Assert.True(queue.TryAdd("b"));
        queue.CompleteAdding();

        Assert.False(queue.TryAdd("c"));
        Assert.Equal(new[] { "a", "b" }, queue.GetConsumingEnumerable());
    }

    [Fact]
    public async Task A_waiting_taker_wakes_for_an_item_and_for_completion()
    {
        var queue = new PipelineQueue<int>();
        var taker = new Taker<int>(queue);

        Assert.True(queue.TryAdd(1));
        taker.WaitUntilTaken(1);
        Assert.False(taker.Ended);

        await taker.EndAsync();
        Assert.Equal(new[] { 1 }, taker.Taken);
    }

    [Fact]
    public async Task A_lingering_taker_is_woken_by_an_urgent_item_but_not_by_an_ordinary_one()
    {
        var queue = new PipelineQueue<string>(linger: TimeSpan.FromMinutes(10));
        var taker = new Taker<string>(queue);
        // The taker lingers once it has found the queue empty; an ordinary item then waits out the linger.
        Assert.True(SpinWait.SpinUntil(() => queue.TakerLingers, 10_000));
        Assert.True(queue.TryAdd("record"));
        await Task.Delay(500);
        Assert.Empty(taker.Taken);

        Assert.True(queue.TryAdd("answer needed", urgent: true));

        taker.WaitUntilTaken(2);
        Assert.Equal(new[] { "record", "answer needed" }, taker.Taken);
        await taker.EndAsync();
    }

    [Fact]
    public async Task A_burst_cuts_a_linger_short()
    {
        var queue = new PipelineQueue<int>(linger: TimeSpan.FromMinutes(10));
        var taker = new Taker<int>(queue);
        Assert.True(SpinWait.SpinUntil(() => queue.TakerLingers, 10_000));

        for (var item = 1; item < PipelineQueue<int>.WakeAtCount; item++)
        {
            Assert.True(queue.TryAdd(item));
        }
        await Task.Delay(300);
        Assert.Empty(taker.Taken);
        Assert.True(queue.TryAdd(PipelineQueue<int>.WakeAtCount));

        taker.WaitUntilTaken(PipelineQueue<int>.WakeAtCount);
        await taker.EndAsync();
    }

    [Fact]
    public async Task Once_a_linger_passed_in_vain_any_item_wakes_the_taker()
    {
        var queue = new PipelineQueue<int>(linger: TimeSpan.FromMilliseconds(1));
        var taker = new Taker<int>(queue);
        await Task.Delay(200);

        Assert.True(queue.TryAdd(7));

        taker.WaitUntilTaken(1);
        await taker.EndAsync();
    }

    /// <summary>Takes everything from a queue on a worker thread, as the pipeline thread does.</summary>
    private sealed class Taker<T>
    {
        private readonly PipelineQueue<T> _queue;
        private readonly List<T> _taken = new();
        private readonly Task _running;

        public Taker(PipelineQueue<T> queue)
        {
            _queue = queue;
            _running = Task.Run(() =>
            {
                foreach (var item in queue.GetConsumingEnumerable())
                {
                    lock (_taken)
                    {
                        _taken.Add(item);
                    }
                }
            });
        }

        public T[] Taken
        {
            get
            {
                lock (_taken)
                {
                    return _taken.ToArray();
                }
            }
        }

        public bool Ended => _running.IsCompleted;

        public void WaitUntilTaken(int count) => Assert.True(SpinWait.SpinUntil(() => Taken.Length == count, 10_000), $"{Taken.Length} of {count} taken");

        /// <summary>Completes the queue; the taker ends, having taken what was queued.</summary>
        public async Task EndAsync()
        {
            _queue.CompleteAdding();
            Assert.Same(_running, await Task.WhenAny(_running, Task.Delay(10_000)));
        }
    }
}
