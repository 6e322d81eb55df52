using System;

namespace S3Replication.Session;

/// <summary>
/// S3 may answer a CopyObject 200 OK and then report in the body that it failed: the document's root is &lt;Error&gt;
/// (after an XML declaration, if any). Read by hand: a second XML parse of every answer would cost more than the rest.
/// </summary>
internal static class S3ErrorDocument
{
    public static bool Is(byte[] body)
    {
        var at = SkipSpace(body, 0);
        if (StartsWith(body, at, "<?xml"))
        {
            var end = Array.IndexOf(body, (byte)'>', at);
            at = end < 0 ? body.Length : SkipSpace(body, end + 1);
        }
        return StartsWith(body, at, "<Error>") || StartsWith(body, at, "<Error ");
    }

    private static int SkipSpace(byte[] body, int at)
    {
        while (at < body.Length && body[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            at++;
        }
        return at;
    }

    private static bool StartsWith(byte[] body, int at, string ascii)
    {
        if (body.Length - at < ascii.Length)
        {
            return false;
        }
        for (var i = 0; i < ascii.Length; i++)
        {
            if (body[at + i] != ascii[i])
            {
                return false;
            }
        }
        return true;
    }
}
