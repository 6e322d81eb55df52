using System;
using System.IO;
using System.Text;

namespace S3Replication.Session;

/// <summary>
/// Replaces a file's contents so readers see the old file or the new one, never a half-written one, and the file
/// keeps its permissions (the temporary file starts as a copy of the original, which carries its mode bits).
/// </summary>
internal static class AtomicFile
{
    private static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Reads UTF-8 text keeping a leading BOM as U+FEFF, so writing it back reproduces the same bytes.</summary>
    public static string ReadAllText(string path) => new UTF8Encoding(false).GetString(File.ReadAllBytes(path));

    public static void WriteAllText(string path, string text, Func<string, bool> validateWritten)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        var existing = new FileInfo(fullPath);

        // A symlinked config (dotfile repositories) must stay a link: write through it instead of replacing it.
        if (existing.Exists && existing.Attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            File.WriteAllText(fullPath, text, Utf8NoBom);
            return;
        }

        ReplaceVia(fullPath, temporary =>
        {
            if (existing.Exists)
            {
                File.Copy(fullPath, temporary);
            }
            File.WriteAllText(temporary, text, Utf8NoBom);
            if (!validateWritten(ReadAllText(temporary)))
            {
                throw new IOException($"The rewritten {fullPath} did not read back as expected; the original was left unchanged.");
            }
        });
    }

    /// <summary>
    /// Has <paramref name="fill"/> write a temporary file beside <paramref name="fullPath"/>, then renames it over the
    /// target; the temporary file is gone afterwards whatever happened.
    /// </summary>
    public static void ReplaceVia(string fullPath, Action<string> fill)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            fill(temporary);
            if (File.Exists(fullPath))
            {
                File.Replace(temporary, fullPath, destinationBackupFileName: null);
            }
            else
            {
                File.Move(temporary, fullPath);
            }
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
