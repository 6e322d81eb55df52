using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using S3Replication.Transfer.Inventory;
using Xunit;

namespace S3Replication.Tests.Transfer.Inventory;

/// <summary>The generic external sort: stable within a run, across runs and across merges of merges.</summary>
public sealed class ExternalSorterTests : IDisposable
{
    private readonly string _temporary = Path.Combine(Path.GetTempPath(), "s3r-sorter-tests-" + Guid.NewGuid().ToString("N"));

    public ExternalSorterTests() => Directory.CreateDirectory(_temporary);

    public void Dispose() => Directory.Delete(_temporary, recursive: true);

    /// <summary>A group and the order it was added in; the sort sees only the group.</summary>
    private sealed class Pairs : IRunFormat<(int Group, int Added)>, IComparer<(int Group, int Added)>
    {
        public void Write(BinaryWriter writer, (int Group, int Added) item)
        {
            writer.Write(item.Group);
            writer.Write(item.Added);
        }

        public (int Group, int Added) Read(BinaryReader reader) => (reader.ReadInt32(), reader.ReadInt32());

        public int Compare((int Group, int Added) x, (int Group, int Added) y) => x.Group.CompareTo(y.Group);
    }

    [Theory]
    [InlineData(1_000, 5_000)]
    [InlineData(20_000, 7)]
    [InlineData(20_000, 100)]
    public void Equal_items_come_out_in_the_order_added(int count, int runSize)
    {
        var random = new Random(count + runSize);
        var items = Enumerable.Range(0, count).Select(added => (Group: random.Next(50), Added: added)).ToList();
        using var folder = new TemporaryFolder(_temporary, "s3r-test-");
        var sorter = new ExternalSorter<(int Group, int Added)>(new Pairs(), new Pairs(), runSize, folder);
        items.ForEach(sorter.Add);

        var sorted = sorter.Sorted(default).ToList();

        Assert.Equal(items.OrderBy(item => item.Group).ToList(), sorted);
        Assert.True(sorter.MostHeld <= runSize);
        Assert.Empty(folder.Location is { } location ? Directory.EnumerateFiles(location) : Array.Empty<string>());
    }
}
