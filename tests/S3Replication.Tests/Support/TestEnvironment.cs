using System;
using System.Runtime.CompilerServices;

namespace S3Replication.Tests.Support;

internal static class TestEnvironment
{
    private static readonly string[] AwsVariables =
    {
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
    };

    /// <summary>
    /// Tests pass their own files and variables through <c>FixedEnvironment</c>; the AWS SDK, though, reads some
    /// process variables once, at first use. Clear them before any test can touch the SDK.
    /// </summary>
    [ModuleInitializer]
    internal static void ClearAwsVariables()
    {
        foreach (var name in AwsVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
