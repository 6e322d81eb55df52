using System.IO;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Records;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// The source's manifest of a computed-checksum compare: pinned to the versions compared where every source object's
/// version is known (piped rows: a HEAD read it), else naming each key's current object; the other file is removed.
/// </summary>
public class SourceManifestTests
{
    private static S3ObjectRecord Source(string key, string? version) => new() { Bucket = "src", Key = key, VersionId = version, Size = 10 };

    [Fact]
    public async Task Every_version_known_pins_every_row()
    {
        var manifest = new SourceManifest();
        await manifest.AddAsync(Source("a b.csv", "v1"), default);
        await manifest.AddAsync(Source("c.csv", "null"), default);
        manifest.Close();

        Assert.True(manifest.Pinned);
        Assert.Equal(BatchManifestLocation.Versioned, manifest.File.Fields);
        Assert.Equal("src,a%20b.csv,v1\nsrc,c.csv,null\n", File.ReadAllText(manifest.File.Path));
        Assert.Equal((2L, 20L), (manifest.File.Rows, manifest.File.Bytes));
        var pinnedFile = manifest.File.Path;
        manifest.Dispose();
        Assert.False(File.Exists(pinnedFile));
    }

    [Fact]
    public async Task One_version_unknown_names_current_objects_in_every_row_and_removes_the_pinned_file()
    {
        var manifest = new SourceManifest();
        await manifest.AddAsync(Source("a.csv", "v1"), default);
        var pinnedFile = manifest.File.Path;
        await manifest.AddAsync(Source("b.csv", null), default);
        await manifest.AddAsync(Source("c.csv", "v3"), default);
        manifest.Close();

        Assert.False(manifest.Pinned);
        Assert.False(File.Exists(pinnedFile));
        Assert.Equal(BatchManifestLocation.Latest, manifest.File.Fields);
        Assert.Equal("src,a.csv\nsrc,b.csv\nsrc,c.csv\n", File.ReadAllText(manifest.File.Path));
        var latestFile = manifest.File.Path;
        manifest.Dispose();
        Assert.False(File.Exists(latestFile));
    }
}
