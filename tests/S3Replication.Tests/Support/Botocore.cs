using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json.Nodes;

namespace S3Replication.Tests.Support;

/// <summary>
/// What the aws CLI would send: botocore (in this machine image's Python) serialises the same calls with its
/// service model, through tests/standins/botocore_s3control.py, without sending them.
/// </summary>
internal static class Botocore
{
    public static JsonArray SerializeS3Control(string endpoint, string region, JsonArray calls)
    {
        var script = Path.Combine(Repository.Root, "tests", "standins", "botocore_s3control.py");
        var start = new ProcessStartInfo("python3", $"\"{script}\"")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 could not be started.");
        process.StandardInput.Write(new JsonObject { ["endpoint"] = endpoint, ["region"] = region, ["calls"] = calls }.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"botocore could not serialise the calls: {errors}");
        }
        return (JsonArray)JsonNode.Parse(output)!;
    }
}
