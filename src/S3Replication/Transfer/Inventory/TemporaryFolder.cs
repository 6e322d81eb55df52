using System;
using System.IO;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// A folder of its own under the system's temporary folder, made at the first file asked for and removed with
/// everything in it on Dispose (the end of a listing or a compare, its cancellation or its failure).
/// </summary>
internal sealed class TemporaryFolder : IDisposable
{
    private readonly string _root;
    private readonly string _name;
    private string? _path;
    private int _next;

    /// <param name="root">Where to make the folder; the system's temporary folder by default.</param>
    /// <param name="name">What the folder's name begins with (a unique part follows): what it is for.</param>
    public TemporaryFolder(string? root = null, string name = "s3r-inventory-")
    {
        _root = root ?? Path.GetTempPath();
        _name = name;
    }

    /// <summary>The folder, once a file has been asked for; null before and after.</summary>
    public string? Location => _path;

    /// <summary>A new file name in the folder (the file is not made).</summary>
    public string NewFile(string suffix)
    {
        if (_path is null)
        {
            _path = Path.Combine(_root, _name + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_path);
        }
        return Path.Combine(_path, $"{_next++:D6}{suffix}");
    }

    public void Dispose()
    {
        if (_path is { } path && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        _path = null;
    }
}
