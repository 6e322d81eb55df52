using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;

namespace S3Replication.Transfer.Inventory;

/// <summary>How an <see cref="ExternalSorter{T}"/> writes one item to a run file and reads it back.</summary>
internal interface IRunFormat<T>
{
    void Write(BinaryWriter writer, T item);

    T Read(BinaryReader reader);
}

/// <summary>
/// An external merge sort in bounded memory: items are gathered into runs of at most <see cref="RunSize"/>, each run
/// sorted and written to a temporary file once full (<see cref="IRunFormat{T}"/>), and the runs merged k ways (at most
/// <see cref="FanIn"/> files open at once; more runs are first merged into longer ones). Fewer items than one run never
/// touch the disk. Stable: items the order holds equal come out in the order added. A merge removes the runs it read;
/// whatever is left when the work stops goes with its <see cref="TemporaryFolder"/>.
/// </summary>
internal class ExternalSorter<T>
{
    /// <summary>How many runs one merge reads at once (files open, records held).</summary>
    public const int FanIn = 64;

    private const int Buffer = 1 << 16;

    private readonly IComparer<T> _order;
    private readonly IRunFormat<T> _format;
    private readonly TemporaryFolder _folder;
    private readonly List<T> _pending = new();
    private readonly List<string> _runs = new();
    private bool _sorted;

    public ExternalSorter(IComparer<T> order, IRunFormat<T> format, int runSize, TemporaryFolder folder)
    {
        if (runSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(runSize), runSize, "A run holds at least two items.");
        }
        _order = order;
        _format = format;
        RunSize = runSize;
        _folder = folder;
    }

    public int RunSize { get; }

    /// <summary>How many items were added.</summary>
    public long Count { get; private set; }

    /// <summary>How many sorted runs were written to disk (merges of runs included).</summary>
    public int SpilledRuns { get; private set; }

    /// <summary>The most items held in memory at once while gathering runs.</summary>
    public int MostHeld { get; private set; }

    public void Add(T record)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("The items were already sorted.");
        }
        _pending.Add(record);
        Count++;
        MostHeld = Math.Max(MostHeld, _pending.Count);
        if (_pending.Count >= RunSize)
        {
            Spill();
        }
    }

    /// <summary>Every item added, in order; once.</summary>
    public IEnumerable<T> Sorted(CancellationToken cancellationToken)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("The items were already sorted.");
        }
        _sorted = true;
        if (_runs.Count == 0)
        {
            var inMemory = SortedPending();
            _pending.Clear();
            return inMemory;
        }
        if (_pending.Count > 0)
        {
            Spill();
        }
        // Runs next to each other are merged in their place (so equal items keep the order added), left to right and round
        // again, each merge no larger than needed to bring the runs down to one merge's worth.
        for (var at = 0; _runs.Count > FanIn; at++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_runs.Count - at < 2)
            {
                at = 0;
            }
            var take = Math.Min(Math.Min(FanIn, _runs.Count - at), _runs.Count - FanIn + 1);
            var merged = _folder.NewFile(".run");
            var inputs = _runs.GetRange(at, take);
            WriteRun(merged, Merge(inputs, cancellationToken));
            _runs.RemoveRange(at, take);
            _runs.Insert(at, merged);
            SpilledRuns++;
        }
        return Merge(_runs.ToList(), cancellationToken);
    }

    private void Spill()
    {
        var path = _folder.NewFile(".run");
        WriteRun(path, SortedPending());
        _pending.Clear();
        _runs.Add(path);
        SpilledRuns++;
    }

    /// <summary>The items held, sorted stably (List.Sort is not): equal ones by the order they were added.</summary>
    private T[] SortedPending()
    {
        var added = new int[_pending.Count];
        for (var index = 0; index < added.Length; index++)
        {
            added[index] = index;
        }
        Array.Sort(added, (a, b) =>
        {
            var order = _order.Compare(_pending[a], _pending[b]);
            return order != 0 ? order : a.CompareTo(b);
        });
        var items = new T[added.Length];
        for (var index = 0; index < added.Length; index++)
        {
            items[index] = _pending[added[index]];
        }
        return items;
    }

    private void WriteRun(string path, IEnumerable<T> items)
    {
        using var writer = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, Buffer));
        foreach (var item in items)
        {
            _format.Write(writer, item);
        }
    }

    /// <summary>A run's items in the order written; the file stays open until the enumeration ends.</summary>
    private IEnumerable<T> ReadRun(string path)
    {
        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, Buffer));
        var stream = reader.BaseStream;
        while (stream.Position < stream.Length)
        {
            yield return _format.Read(reader);
        }
    }

    /// <summary>A k-way merge of sorted run files by a binary heap of their current items; each file is removed once read.</summary>
    private IEnumerable<T> Merge(List<string> paths, CancellationToken cancellationToken)
    {
        var readers = new List<IEnumerator<T>>();
        try
        {
            var heap = new List<int>();
            foreach (var path in paths)
            {
                var reader = ReadRun(path).GetEnumerator();
                readers.Add(reader);
                if (reader.MoveNext())
                {
                    Push(heap, readers, readers.Count - 1);
                }
            }
            var emitted = 0L;
            while (heap.Count > 0)
            {
                if ((++emitted & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var top = heap[0];
                yield return readers[top].Current;
                if (readers[top].MoveNext())
                {
                    SiftDown(heap, readers, 0);
                }
                else
                {
                    heap[0] = heap[heap.Count - 1];
                    heap.RemoveAt(heap.Count - 1);
                    if (heap.Count > 0)
                    {
                        SiftDown(heap, readers, 0);
                    }
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
            foreach (var path in paths)
            {
                System.IO.File.Delete(path);
            }
        }
    }

    private int CompareAt(List<int> heap, List<IEnumerator<T>> readers, int a, int b)
    {
        var order = _order.Compare(readers[heap[a]].Current, readers[heap[b]].Current);
        // Equal items come out in run order, so the merge is stable.
        return order != 0 ? order : heap[a].CompareTo(heap[b]);
    }

    private void Push(List<int> heap, List<IEnumerator<T>> readers, int reader)
    {
        heap.Add(reader);
        for (var index = heap.Count - 1; index > 0;)
        {
            var parent = (index - 1) / 2;
            if (CompareAt(heap, readers, index, parent) >= 0)
            {
                break;
            }
            (heap[index], heap[parent]) = (heap[parent], heap[index]);
            index = parent;
        }
    }

    private void SiftDown(List<int> heap, List<IEnumerator<T>> readers, int index)
    {
        while (true)
        {
            var smallest = index;
            var left = 2 * index + 1;
            if (left < heap.Count && CompareAt(heap, readers, left, smallest) < 0)
            {
                smallest = left;
            }
            if (left + 1 < heap.Count && CompareAt(heap, readers, left + 1, smallest) < 0)
            {
                smallest = left + 1;
            }
            if (smallest == index)
            {
                return;
            }
            (heap[index], heap[smallest]) = (heap[smallest], heap[index]);
            index = smallest;
        }
    }
}

