using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Amazon.Runtime;
using S3Replication.Session;

namespace S3Replication.Tests.Support;

/// <summary>An IamClient that sends through a recorder at a fixed time, with backoff delays recorded instead of waited.</summary>
internal static class IamTestClient
{
    public static readonly DateTime SignedAt = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);
    public static readonly AWSCredentials DocumentationKeys = new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    public static ClientSettings Settings(string region = "us-east-1", string? endpoint = null) =>
        new(region, endpoint, false, null, null, null, null);

    public static (IamClient Client, RecordingHandler Http, List<TimeSpan> Delays) Create(AWSCredentials? credentials = null, ClientSettings? settings = null)
    {
        var http = new RecordingHandler();
        var delays = new List<TimeSpan>();
        var client = new IamClient(credentials ?? DocumentationKeys, settings ?? Settings(), http, () => SignedAt,
            (delay, _) => { delays.Add(delay); return Task.CompletedTask; });
        return (client, http, delays);
    }

    public static string Error(string code, string message) =>
        $"""<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>""";
}
