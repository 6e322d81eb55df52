using System;
using System.IO;
using S3Replication.Session;
using Xunit;

namespace S3Replication.Tests.Session;

public class AtomicFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "s3r-atomic-" + Guid.NewGuid().ToString("N"));

    public AtomicFileTests() => Directory.CreateDirectory(_folder);
    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Keeps_the_files_permissions()
    {
        var path = Path.Combine(_folder, "config");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AtomicFile.WriteAllText(path, "new", _ => true);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Leaves_the_original_when_the_written_text_does_not_read_back()
    {
        var path = Path.Combine(_folder, "config");
        File.WriteAllText(path, "original");
        Assert.Throws<IOException>(() => AtomicFile.WriteAllText(path, "new", _ => false));
        Assert.Equal("original", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Writes_through_a_symbolic_link_instead_of_replacing_it()
    {
        var target = Path.Combine(_folder, "dotfiles-config");
        File.WriteAllText(target, "old");
        var link = Path.Combine(_folder, "config");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new", _ => true);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
    }

    [Fact]
    public void Creates_a_missing_file_and_folder()
    {
        var path = Path.Combine(_folder, "sub", "config");
        AtomicFile.WriteAllText(path, "text", _ => true);
        Assert.Equal("text", File.ReadAllText(path));
    }

    [Fact]
    public void Reads_a_bom_as_text_so_it_is_written_back()
    {
        var path = Path.Combine(_folder, "bom");
        File.WriteAllBytes(path, new byte[] { 0xEF, 0xBB, 0xBF, (byte)'a' });
        Assert.Equal("\uFEFFa", AtomicFile.ReadAllText(path));
    }
}
