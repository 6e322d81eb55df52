using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>
/// The token cache the aws CLI v2 and botocore share: one JSON file per sign-in, named by the SHA-1 of the sso-session
/// name (legacy profiles: of the start URL). Written the way botocore writes it: a temporary file in the same
/// folder, readable by the owner only, then renamed over the old one.
/// </summary>
internal sealed class SsoTokenCache
{
    private const int OwnerReadWrite = 0x180; // 0600

    public SsoTokenCache(string folder) => Folder = folder;

    public string Folder { get; }

    public static SsoTokenCache For(IEnvironmentReader environment) =>
        new(Path.Combine(environment.HomeDirectory, ".aws", "sso", "cache"));

    public static string FileNameFor(string cacheKeySource)
    {
        using var sha1 = SHA1.Create();
        return Hex.Of(sha1.ComputeHash(Encoding.UTF8.GetBytes(cacheKeySource))) + ".json";
    }

    public string PathFor(SsoProfile profile) => Path.Combine(Folder, FileNameFor(profile.CacheKeySource));

    /// <summary>The cached token, or null when there is none or the file is not a token (the aws CLI treats both as "sign in").</summary>
    public SsoToken? Read(SsoProfile profile)
    {
        var path = PathFor(profile);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) is JsonObject json ? SsoToken.FromJson(json) : null;
        }
        catch (Exception error) when (error is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(SsoProfile profile, SsoToken token)
    {
        var path = PathFor(profile);
        try
        {
            Directory.CreateDirectory(Folder);
            AtomicFile.ReplaceVia(path, temporary =>
            {
                // Restricted before the secrets go in, so no other account ever sees them, even briefly.
                using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
                RestrictToOwner(temporary);
                var bytes = new UTF8Encoding(false).GetBytes(token.ToJsonText());
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(flushToDisk: true);
            });
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new S3BackupException(ErrorId.CredentialsFailed, ErrorCategory.WriteError,
                $"Could not write the sign-in token cache {path}: {error.Message}", path, error);
        }
    }

    private static void RestrictToOwner(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return; // The file inherits the user profile folder's ACL, as the aws CLI's does.
        }
        if (NativeMethods.chmod(path, OwnerReadWrite) != 0)
        {
            throw new IOException($"chmod 600 failed with errno {Marshal.GetLastWin32Error()}");
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int chmod(string path, int mode);
    }
}
