using System;
using System.IO;

namespace S3Replication.Tests.Support;

/// <summary>The checkout the tests run from: scripts, stand-ins and the module's own sources.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "S3Replication.psd1")) && Directory.Exists(Path.Combine(folder.FullName, "tests")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException("The repository root (with S3Replication.psd1) is not above the test assembly.");
    }
}
