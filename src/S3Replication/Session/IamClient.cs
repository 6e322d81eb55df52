using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using S3Replication.Core;

namespace S3Replication.Session;

internal sealed record IamRole(string RoleName, string Arn, string? RoleId, string AssumeRolePolicyDocument);

/// <summary>An error answer from IAM: its code, message and HTTP status (IAM's and Ceph RGW's error XML alike).</summary>
internal sealed class IamException : AwsApiException
{
    public IamException(string code, string message, HttpStatusCode status, Exception? inner = null) : base(code, message, status, inner)
    {
    }
}

/// <summary>
/// The few IAM calls this module needs, over IAM's Query API signed with AWSSDK.Core's public SigV4 signer
/// (AWSSDK.IdentityManagement is not available). Each attempt is built and signed afresh, so throttling, 5xx and
/// connection failures are retried under the module's one retry policy.
/// </summary>
internal sealed class IamClient : IDisposable
{
    /// <summary>Attempts per IAM request, each signed afresh.</summary>
    public const int RequestAttempts = 5;
    private const string ApiVersion = "2010-05-08";

    private readonly AWSCredentials _credentials;
    private readonly HttpClient _http;
    private readonly Func<DateTime> _clock;
    private readonly Core.RetryPolicy _retry;

    public IamClient(AWSCredentials credentials, ClientSettings settings, HttpMessageHandler? handler = null,
        Func<DateTime>? clock = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _credentials = credentials;
        (Endpoint, SigningRegion) = EndpointFor(settings);
        // No automatic redirects: a redirected request would carry a signature for another host.
        _http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false }, disposeHandler: handler is null);
        _clock = clock ?? (() => DateTime.UtcNow);
        _retry = new Core.RetryPolicy(RequestAttempts, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), AwsApiException.Classify) { Delay = delay ?? Task.Delay };
    }

    public Uri Endpoint { get; }
    public string SigningRegion { get; }

    /// <summary>IAM is global per partition: one endpoint and signing region each, unless an endpoint is configured.</summary>
    internal static (Uri Endpoint, string Region) EndpointFor(ClientSettings settings)
    {
        if (settings.EndpointUrl is { } configured)
        {
            return (new Uri(configured), settings.Region);
        }
        return AwsNames.PartitionOf(settings.Region) switch
        {
            "aws-cn" => (new Uri("https://iam.cn-north-1.amazonaws.com.cn/"), "cn-north-1"),
            "aws-us-gov" => (new Uri("https://iam.us-gov.amazonaws.com/"), "us-gov-west-1"),
            _ => (new Uri("https://iam.amazonaws.com/"), "us-east-1"),
        };
    }

    public async Task<IamRole> GetRoleAsync(string roleName, CancellationToken cancellationToken)
    {
        var response = await CallAsync("GetRole", new[] { ("RoleName", roleName) }, cancellationToken).ConfigureAwait(false);
        var role = Required(response, "Role", "GetRole");
        string? Field(string name) => role.Elements().FirstOrDefault(element => element.Name.LocalName == name)?.Value;
        return new IamRole(Field("RoleName") ?? roleName, Field("Arn") ?? "", Field("RoleId"), Field("AssumeRolePolicyDocument") ?? "");
    }

    /// <summary>Role names, first page only (up to 1,000): for tab completion, not inventory.</summary>
    public async Task<IReadOnlyList<string>> ListRoleNamesAsync(string? pathPrefix, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, string)> { ("MaxItems", "1000") };
        if (pathPrefix is not null)
        {
            parameters.Add(("PathPrefix", pathPrefix));
        }
        var response = await CallAsync("ListRoles", parameters, cancellationToken).ConfigureAwait(false);
        return response.Descendants().Where(element => element.Name.LocalName == "RoleName").Select(element => element.Value).ToList();
    }

    /// <summary>The names of the role's inline policies, every page.</summary>
    public async Task<IReadOnlyList<string>> ListRolePolicyNamesAsync(string roleName, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await ForEachPageAsync("ListRolePolicies", new[] { ("RoleName", roleName) },
            page => names.AddRange(Members(page, "PolicyNames").Select(member => member.Value)), cancellationToken).ConfigureAwait(false);
        return names;
    }

    /// <summary>An inline policy of the role, as JSON.</summary>
    public async Task<string> GetRolePolicyDocumentAsync(string roleName, string policyName, CancellationToken cancellationToken)
    {
        var response = await CallAsync("GetRolePolicy", new[] { ("RoleName", roleName), ("PolicyName", policyName) }, cancellationToken).ConfigureAwait(false);
        return PolicyJson.Decode(Required(response, "PolicyDocument", "GetRolePolicy").Value);
    }

    /// <summary>The managed policies attached to the role, every page.</summary>
    public async Task<IReadOnlyList<(string PolicyName, string PolicyArn)>> ListAttachedRolePoliciesAsync(string roleName, CancellationToken cancellationToken)
    {
        var policies = new List<(string PolicyName, string PolicyArn)>();
        await ForEachPageAsync("ListAttachedRolePolicies", new[] { ("RoleName", roleName) },
            page => policies.AddRange(Members(page, "AttachedPolicies").Select(member =>
                (Required(member, "PolicyName", "ListAttachedRolePolicies").Value, Required(member, "PolicyArn", "ListAttachedRolePolicies").Value))),
            cancellationToken).ConfigureAwait(false);
        return policies;
    }

    /// <summary>The document of a managed policy's default version (the one in force), as JSON: GetPolicy names it, GetPolicyVersion reads it.</summary>
    public async Task<string> GetPolicyDefaultVersionAsync(string policyArn, CancellationToken cancellationToken)
    {
        var policy = await CallAsync("GetPolicy", new[] { ("PolicyArn", policyArn) }, cancellationToken).ConfigureAwait(false);
        var versionId = Required(policy, "DefaultVersionId", "GetPolicy").Value;
        var version = await CallAsync("GetPolicyVersion", new[] { ("PolicyArn", policyArn), ("VersionId", versionId) }, cancellationToken).ConfigureAwait(false);
        return PolicyJson.Decode(Required(version, "Document", "GetPolicyVersion").Value);
    }

    public Task UpdateAssumeRolePolicyAsync(string roleName, string policyDocument, CancellationToken cancellationToken) =>
        CallAsync("UpdateAssumeRolePolicy", new[] { ("RoleName", roleName), ("PolicyDocument", policyDocument) }, cancellationToken);

    private async Task<XElement> CallAsync(string action, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken cancellationToken)
    {
        var body = string.Join("&", new[] { ("Action", action) }.Concat(parameters).Concat(new[] { ("Version", ApiVersion) })
            .Select(pair => $"{Uri.EscapeDataString(pair.Item1)}={Uri.EscapeDataString(pair.Item2)}"));
        try
        {
            return await _retry.RunAsync(async token =>
            {
                using var request = await SignedRequestAsync(body, token).ConfigureAwait(false);
                using var response = await _http.SendAsync(request, token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                return response.IsSuccessStatusCode ? XDocument.Parse(text).Root! : throw ErrorFrom(text, response.StatusCode);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException error)
        {
            throw new IamException("ConnectionFailed", $"Could not reach IAM at {Endpoint}: {error.Message}", 0, error);
        }
    }

    /// <summary>Calls a listing action page by page, passing each truncated answer's Marker back, until the last page.</summary>
    private async Task ForEachPageAsync(string action, IReadOnlyList<(string Name, string Value)> parameters, Action<XElement> readPage,
        CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var page = await CallAsync(action, marker is null ? parameters : parameters.Append(("Marker", marker)).ToList(), cancellationToken).ConfigureAwait(false);
            readPage(page);
            var previous = marker;
            marker = bool.TryParse(Descendant(page, "IsTruncated")?.Value, out var truncated) && truncated ? Required(page, "Marker", action).Value : null;
            if (marker is not null && marker == previous)
            {
                // A server that hands back the marker it was given would keep this loop going for ever.
                throw new IamException("UnexpectedResponse", $"{action} answered the same Marker twice.", HttpStatusCode.OK);
            }
        }
        while (marker is not null);
    }

    private static XElement? Descendant(XElement element, string name) =>
        element.Descendants().FirstOrDefault(descendant => descendant.Name.LocalName == name);

    private static XElement Required(XElement element, string name, string action) =>
        Descendant(element, name) ?? throw new IamException("UnexpectedResponse", $"{action} answered without a {name} element.", HttpStatusCode.OK);

    /// <summary>The items of a list in IAM's Query API answers: &lt;List&gt;&lt;member&gt;…&lt;/member&gt;&lt;/List&gt;.</summary>
    private static IEnumerable<XElement> Members(XElement response, string list) =>
        Descendant(response, list)?.Elements().Where(element => element.Name.LocalName == "member") ?? Enumerable.Empty<XElement>();

    private Task<HttpRequestMessage> SignedRequestAsync(string body, CancellationToken cancellationToken) =>
        SignedRequest.CreateAsync(HttpMethod.Post, Endpoint, new Dictionary<string, string>(), "application/x-www-form-urlencoded; charset=utf-8",
            Encoding.UTF8.GetBytes(body), _credentials, SigningRegion, "iam", _clock(), cancellationToken);

    private static IamException ErrorFrom(string text, HttpStatusCode status)
    {
        var (code, message) = AwsApiException.Parse(text, status);
        return new IamException(code, message, status);
    }

    public void Dispose() => _http.Dispose();
}
