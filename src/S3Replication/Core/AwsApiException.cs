using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Xml.Linq;

namespace S3Replication.Core;

/// <summary>
/// An error answer from an AWS API this module calls without an SDK client (IAM, S3 Control), read from either XML
/// shape AWS and Ceph RGW use: <c>&lt;ErrorResponse&gt;&lt;Error&gt;</c> or a bare <c>&lt;Error&gt;</c>.
/// </summary>
internal abstract class AwsApiException : Exception
{
    protected AwsApiException(string code, string message, HttpStatusCode status, Exception? inner) : base(message, inner)
    {
        Code = code;
        Status = status;
    }

    public string Code { get; }
    public HttpStatusCode Status { get; }

    /// <summary>The code and message of an error body; the HTTP status (and the start of the text) where it is not XML.</summary>
    public static (string Code, string Message) Parse(string text, HttpStatusCode status)
    {
        var fallback = ((int)status).ToString(CultureInfo.InvariantCulture);
        try
        {
            var error = XDocument.Parse(text).Descendants().FirstOrDefault(element => element.Name.LocalName == "Error");
            string? Field(string name) => error?.Elements().FirstOrDefault(element => element.Name.LocalName == name)?.Value;
            return (Field("Code") ?? fallback, Field("Message") ?? "");
        }
        catch (System.Xml.XmlException)
        {
            return (fallback, text.Length > 200 ? text.Substring(0, 200) : text);
        }
    }

    /// <summary>Throttling, 5xx, internal failures and connection failures are worth another attempt; other answers are final.</summary>
    public static FailureKind Classify(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => FailureKind.Fatal,
        AwsApiException api when RetryPolicies.IsThrottling(api.Code, api.Status) => FailureKind.Throttled,
        AwsApiException api => api.Code is "ServiceFailure" or "InternalFailure" or "InternalError" || (int)api.Status >= 500
            ? FailureKind.Transient : FailureKind.Permanent,
        HttpRequestException or OperationCanceledException => FailureKind.Transient,
        _ => FailureKind.Fatal,
    };
}
