using System;
using System.IO;
using System.Linq;
using CsCheck;
using S3Replication.Core;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

public class LocalPathsTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "s3r-destination"));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("\\\\server\\share\\x", "absolute")]
    [InlineData("C:/Windows/x.dll", "drive letter")]
    [InlineData("c:x", "drive letter")]
    [InlineData("../escape.txt", "'..'")]
    [InlineData("a/../../escape.txt", "'..'")]
    [InlineData("a/..", "'..'")]
    [InlineData("a/./b", "'.'")]
    [InlineData("a//b", "empty or '.'")]
    [InlineData("a\\..\\..\\b", "backslash")]
    [InlineData("nul\0byte", "control character")]
    [InlineData("bell\a.txt", "control character")]
    [InlineData("del\u007f.txt", "control character")]
    public void Refuses_keys_that_could_leave_the_folder_or_cannot_be_files(string key, string reason)
    {
        var refusal = Assert.Throws<S3BackupException>(() => LocalPaths.FileFor(Root, key, windowsRules: false));
        Assert.Equal(ErrorId.UnsafeKey, refusal.ErrorId);
        Assert.Contains(reason, refusal.Message);
        Assert.Equal(key, refusal.Target);
        Assert.False(refusal.Message.Contains('\0'), "the message must not carry the NUL itself");
    }

    [Theory]
    [InlineData("con.txt")]
    [InlineData("a/LPT1")]
    [InlineData("a/trailing.")]
    [InlineData("a/trailing ")]
    [InlineData("what?.txt")]
    [InlineData("a/b:c")]
    public void Refuses_names_windows_reserves_under_windows_rules_only(string key)
    {
        Assert.Equal(ErrorId.UnsafeKey, Assert.Throws<S3BackupException>(() => LocalPaths.FileFor(Root, key, windowsRules: true)).ErrorId);
        if (key.IndexOfAny(new[] { '?', ':' }) < 0)
        {
            Assert.StartsWith(Root, LocalPaths.FileFor(Root, key, windowsRules: false));
        }
    }

    [Fact]
    public void Refuses_a_segment_longer_than_file_systems_allow()
    {
        Assert.Contains("255 bytes", Assert.Throws<S3BackupException>(() => LocalPaths.FileFor(Root, "a/" + new string('é', 128), false)).Message);
        Assert.StartsWith(Root, LocalPaths.FileFor(Root, "a/" + new string('é', 127), false));
    }

    [Theory]
    [InlineData("imap/mag/l1a/2025/01/a.cdf")]
    [InlineData("a b+c%.pkts")]
    [InlineData("ünïcødé/€.txt")]
    [InlineData("..hidden/...dots")]
    [InlineData("x..y")]
    public void Maps_a_safe_key_to_the_same_relative_path_and_back(string key)
    {
        var file = LocalPaths.FileFor(Root, key, windowsRules: false);
        Assert.Equal(Path.Combine(new[] { Root }.Concat(key.Split('/')).ToArray()), file);
        Assert.Equal(key, LocalPaths.KeyFor(Root, file, null));
        Assert.Equal("restore/" + key, LocalPaths.KeyFor(Root, file, "restore/"));
        Assert.Equal("tmp/check/" + key, LocalPaths.KeyFor(Root, file, "tmp/check"));
    }

    [Fact]
    public void Any_key_is_either_refused_or_a_file_strictly_inside_the_folder_that_maps_back_to_it()
    {
        var characters = Generators.Pick('a', 'Z', '.', '.', '/', '/', '\\', ':', ' ', '\0', '\n', 'é', '€', '~', '*');
        Gen.String[characters, 0, 24].Sample(key =>
        {
            string file;
            try
            {
                file = LocalPaths.FileFor(Root, key, windowsRules: false);
            }
            catch (S3BackupException refusal) when (refusal.ErrorId == ErrorId.UnsafeKey)
            {
                return true;
            }
            return LocalPaths.IsInside(Root, file) && LocalPaths.KeyFor(Root, file, null) == key;
        }, iter: 20_000);
    }

    [Fact]
    public void A_folder_marker_is_not_a_file()
    {
        Assert.True(LocalPaths.IsFolderMarker("imap/mag/"));
        Assert.False(LocalPaths.IsFolderMarker("imap/mag"));
    }

    [Fact]
    public void Refuses_a_key_longer_than_s3_allows_when_uploading()
    {
        var file = Path.Combine(Root, new string('a', 200));
        Assert.Equal(ErrorId.InvalidArgument, Assert.Throws<S3BackupException>(() => LocalPaths.KeyFor(Root, file, new string('p', 900))).ErrorId);
    }

    [Fact]
    public void Refuses_a_folder_that_is_a_symbolic_link()
    {
        var root = Directory.CreateTempSubdirectory("s3r-links-").FullName;
        var elsewhere = Directory.CreateTempSubdirectory("s3r-elsewhere-").FullName;
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(root, "linked"), elsewhere);
            var file = LocalPaths.FileFor(root, "linked/deeper/x.txt", false);
            Assert.Equal(ErrorId.UnsafeKey, Assert.Throws<S3BackupException>(() => LocalPaths.RequireNoLinks(root, file, "linked/deeper/x.txt")).ErrorId);
            LocalPaths.RequireNoLinks(root, LocalPaths.FileFor(root, "plain/deeper/x.txt", false), "plain/deeper/x.txt");
        }
        finally
        {
            Directory.Delete(root, true);
            Directory.Delete(elsewhere, true);
        }
    }
}
