using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using S3Replication.Core;

namespace S3Replication.Transfer;

/// <summary>
/// Maps S3 keys to files under a folder and back. A key that could name anything outside the folder, or that the
/// file system cannot hold, is refused rather than rewritten: the operator must see that the backup holds such a
/// key, not find a differently named file.
/// </summary>
internal static class LocalPaths
{
    public const int MaxKeyBytes = 1024;
    private const int MaxSegmentBytes = 255;
    private static readonly Regex DriveLetter = new(@"^[A-Za-z]:", RegexOptions.CultureInvariant);
    private static readonly Regex WindowsReservedName = new(@"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly char[] WindowsInvalidCharacters = { '<', '>', ':', '"', '|', '?', '*' };

    public static bool OnWindows { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>Console "folders": zero-byte keys ending in a slash, which are not files.</summary>
    public static bool IsFolderMarker(string key) => key.EndsWith("/", StringComparison.Ordinal);

    /// <summary>The file under <paramref name="root"/> (a full path) that holds <paramref name="key"/>.</summary>
    public static string FileFor(string root, string key, bool windowsRules)
    {
        var why = Unsafe(key, windowsRules);
        if (why is null)
        {
            var file = Path.GetFullPath(Path.Combine(root, key.Replace('/', Path.DirectorySeparatorChar)));
            if (IsInside(root, file))
            {
                return file;
            }
            why = "it resolves outside the destination folder";
        }
        throw new S3BackupException(ErrorId.UnsafeKey, ErrorCategory.InvalidData,
            $"The key '{Printable(key)}' cannot be saved: {why}. Nothing was written for it; copy it with Sync-S3BackupToSource or rename it in S3.", key);
    }

    /// <summary>
    /// Every file below <paramref name="folder"/>, lazily. Folders that are symbolic links or junctions are not
    /// entered: they could lead anywhere, back into the tree included.
    /// </summary>
    public static IEnumerable<string> FilesUnder(string folder)
    {
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(current))
            {
                yield return file;
            }
            foreach (var child in Directory.EnumerateDirectories(current))
            {
                if (!new DirectoryInfo(child).Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    pending.Push(child);
                }
            }
        }
    }

    /// <summary>
    /// Refuses a file whose folders under <paramref name="root"/> include a symbolic link or junction that exists
    /// now: writing through it could land anywhere.
    /// </summary>
    public static void RequireNoLinks(string root, string file, string key)
    {
        for (var folder = Path.GetDirectoryName(file); folder is not null && IsInside(root, folder); folder = Path.GetDirectoryName(folder))
        {
            var info = new DirectoryInfo(folder);
            if (info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new S3BackupException(ErrorId.UnsafeKey, ErrorCategory.InvalidData,
                    $"The key '{Printable(key)}' cannot be saved: its folder {folder} is a symbolic link, which could lead outside the destination. Nothing was written for it.", key);
            }
        }
    }

    /// <summary>
    /// The key for a file found under <paramref name="root"/>: the prefix as a folder (a '/' is added unless it ends in
    /// one, as aws s3 cp does for a folder), then the relative path with forward slashes.
    /// </summary>
    public static string KeyFor(string root, string file, string? prefix)
    {
        if (!IsInside(root, file))
        {
            throw new ArgumentException($"{file} is not under {root}.", nameof(file));
        }
        var relative = file.Substring(TrimSeparator(root).Length + 1);
        var folder = string.IsNullOrEmpty(prefix) || prefix!.EndsWith("/", StringComparison.Ordinal) ? prefix ?? "" : prefix + "/";
        var key = folder + relative.Replace(Path.DirectorySeparatorChar, '/');
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"The key for {file} would be longer than S3's {MaxKeyBytes} bytes; use a shorter -Prefix or path.", file);
        }
        return key;
    }

    public static bool IsInside(string root, string path)
    {
        var comparison = OnWindows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var folder = TrimSeparator(root) + Path.DirectorySeparatorChar;
        return path.StartsWith(folder, comparison) && path.Length > folder.Length;
    }

    private static string TrimSeparator(string path) =>
        path.Length > 1 && (path.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)) ? path.Substring(0, path.Length - 1) : path;

    /// <summary>Why the key cannot be a relative file path, or null when it can.</summary>
    internal static string? Unsafe(string key, bool windowsRules)
    {
        if (key.Length == 0)
        {
            return "it is empty";
        }
        if (key[0] == '/' || key[0] == '\\')
        {
            return "it is an absolute path";
        }
        if (DriveLetter.IsMatch(key))
        {
            return "it starts with a drive letter";
        }
        if (key.IndexOf('\\') >= 0)
        {
            return "it contains a backslash, a folder separator on Windows";
        }
        if (key.Any(character => character < ' ' || character == '\u007f'))
        {
            return "it contains a control character (such as NUL)";
        }
        var invalid = windowsRules ? WindowsInvalidCharacters : Path.GetInvalidFileNameChars().Where(character => character != '/').ToArray();
        if (key.IndexOfAny(invalid) >= 0)
        {
            return $"it contains a character this file system refuses ({string.Join(" ", invalid.Where(character => key.IndexOf(character) >= 0))})";
        }
        foreach (var segment in key.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return segment == ".." ? "it climbs out with '..'" : $"it has an empty or '.' path segment";
            }
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return $"a path segment is longer than {MaxSegmentBytes} bytes";
            }
            if (windowsRules && (WindowsReservedName.IsMatch(segment) || segment.EndsWith(".", StringComparison.Ordinal) || segment.EndsWith(" ", StringComparison.Ordinal)))
            {
                return $"'{segment}' is a name Windows reserves or alters";
            }
        }
        return null;
    }

    private static string Printable(string key) =>
        new(key.Select(character => character < ' ' || character == '\u007f' ? '?' : character).ToArray());
}
