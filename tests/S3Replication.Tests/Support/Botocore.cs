using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json.Nodes;

namespace S3Replication.Tests.Support;

/// <summary>
/// What the aws CLI would send: botocore (in this machine image's Python) serialises the same calls with its
/// service model, through the scripts in tests/standins, without sending them.
/// </summary>
internal static class Botocore
{
    public static JsonArray SerializeS3Control(string endpoint, string region, JsonArray calls) =>
        Serialize("botocore_s3control.py", new JsonObject { ["endpoint"] = endpoint, ["region"] = region, ["calls"] = calls });

    /// <summary>
    /// S3 requests with path-style addressing, to AWS's own endpoint for <paramref name="region"/>, each with every header
    /// botocore sets; <paramref name="checksums"/> is its request_checksum_calculation (when_supported or when_required).
    /// </summary>
    public static JsonArray SerializeS3(string region, string checksums, JsonArray calls) =>
        Serialize("botocore_s3.py", new JsonObject { ["region"] = region, ["checksums"] = checksums, ["calls"] = calls });

    /// <summary>
    /// IAM calls sent to scripted answers instead of the network: each call's form body as botocore sends it and the
    /// answer as botocore parses it (policy documents decoded to JSON by its own handler).
    /// </summary>
    public static JsonArray SendIam(JsonArray calls) => Serialize("botocore_iam.py", new JsonObject { ["calls"] = calls });

    private static JsonArray Serialize(string script, JsonObject input)
    {
        var path = Path.Combine(Repository.Root, "tests", "standins", script);
        var start = new ProcessStartInfo("python3", $"\"{path}\"")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 could not be started.");
        process.StandardInput.Write(input.ToJsonString());
        process.StandardInput.Close();
        var errorsRead = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        var errors = errorsRead.GetAwaiter().GetResult();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"botocore could not serialise the calls: {errors}");
        }
        return (JsonArray)JsonNode.Parse(output)!;
    }
}
