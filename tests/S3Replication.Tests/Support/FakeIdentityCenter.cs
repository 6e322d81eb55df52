using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Tests.Support;

/// <summary>
/// IAM Identity Center in process: the SSO OIDC operations (RegisterClient, StartDeviceAuthorization, CreateToken) and
/// the portal's GetRoleCredentials, with the paths, members and error shapes of botocore's sso-oidc and sso models
/// (errors: HTTP 400/401 with x-amzn-ErrorType and a body of error/error_description, as the service answers).
/// </summary>
internal sealed class FakeIdentityCenter : HttpMessageHandler
{
    public const string ClientId = "client-id-1";
    public const string ClientSecret = "client-secret-SHOULD-NOT-LEAK";
    public const string DeviceCode = "device-code-SHOULD-NOT-LEAK";
    public const string UserCode = "ABCD-EFGH";
    public const string RoleAccessKey = "ASIAPORTAL0001";
    public const string RoleSecretKey = "portal-secret-SHOULD-NOT-LEAK";
    public const string RoleSessionToken = "portal-session-token-SHOULD-NOT-LEAK";

    private int _issued;

    public List<RecordedRequest> Requests { get; } = new();

    /// <summary>What each device-code CreateToken poll answers, in order, before the approval ("pending", "slow_down", "denied", "expired").</summary>
    public Queue<string> PollAnswers { get; } = new();

    /// <summary>Access tokens the portal accepts, and the refresh tokens OIDC accepts.</summary>
    public HashSet<string> ValidAccessTokens { get; } = new();
    public HashSet<string> ValidRefreshTokens { get; } = new();

    public int DeviceInterval { get; set; } = 1;
    public long RoleExpirationMs { get; set; } = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();

    public string IssueAccessToken()
    {
        var token = $"access-token-{Interlocked.Increment(ref _issued)}-SHOULD-NOT-LEAK";
        ValidAccessTokens.Add(token);
        return token;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var recorded = await RecordedRequest.ReadAsync(request, cancellationToken);
        lock (Requests)
        {
            Requests.Add(recorded);
        }
        var body = recorded.Body.Length > 0 ? JsonNode.Parse(recorded.Body) as JsonObject : null;
        return (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/client/register") => Json(HttpStatusCode.OK, new JsonObject
            {
                ["clientId"] = ClientId,
                ["clientSecret"] = ClientSecret,
                ["clientIdIssuedAt"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["clientSecretExpiresAt"] = DateTimeOffset.UtcNow.AddDays(90).ToUnixTimeSeconds(),
            }),
            ("POST", "/device_authorization") => Json(HttpStatusCode.OK, new JsonObject
            {
                ["deviceCode"] = DeviceCode,
                ["userCode"] = UserCode,
                ["verificationUri"] = "https://device.sso.example.test/",
                ["verificationUriComplete"] = "https://device.sso.example.test/?user_code=" + UserCode,
                ["expiresIn"] = 600,
                ["interval"] = DeviceInterval,
            }),
            ("POST", "/token") => Token(body!),
            ("GET", "/federation/credentials") => RoleCredentials(recorded),
            _ => Error(HttpStatusCode.NotFound, "ResourceNotFoundException", "not_found", "no such operation"),
        };
    }

    private HttpResponseMessage Token(JsonObject body)
    {
        var grant = (string?)body["grantType"];
        if (grant == "refresh_token")
        {
            var refresh = (string?)body["refreshToken"];
            if (refresh is null || !ValidRefreshTokens.Remove(refresh) || (string?)body["clientSecret"] != ClientSecret)
            {
                return Error(HttpStatusCode.BadRequest, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided");
            }
            return IssueToken();
        }
        if (grant != "urn:ietf:params:oauth:grant-type:device_code" || (string?)body["deviceCode"] != DeviceCode)
        {
            return Error(HttpStatusCode.BadRequest, "InvalidGrantException", "invalid_grant", "Invalid grant provided");
        }
        return (PollAnswers.Count > 0 ? PollAnswers.Dequeue() : "approved") switch
        {
            "pending" => Error(HttpStatusCode.BadRequest, "AuthorizationPendingException", "authorization_pending", "Authorization is still pending"),
            "slow_down" => Error(HttpStatusCode.BadRequest, "SlowDownException", "slow_down", "Client is polling too quickly"),
            "denied" => Error(HttpStatusCode.BadRequest, "AccessDeniedException", "access_denied", "The user denied the request"),
            "expired" => Error(HttpStatusCode.BadRequest, "ExpiredTokenException", "expired_token", "The device code has expired"),
            _ => IssueToken(),
        };
    }

    private HttpResponseMessage IssueToken()
    {
        var refresh = $"refresh-token-{_issued + 1}-SHOULD-NOT-LEAK";
        ValidRefreshTokens.Add(refresh);
        return Json(HttpStatusCode.OK, new JsonObject
        {
            ["accessToken"] = IssueAccessToken(),
            ["tokenType"] = "Bearer",
            ["expiresIn"] = 28800,
            ["refreshToken"] = refresh,
        });
    }

    private HttpResponseMessage RoleCredentials(RecordedRequest request)
    {
        if (!ValidAccessTokens.Contains(request.Header("x-amz-sso_bearer_token")))
        {
            return Error(HttpStatusCode.Unauthorized, "UnauthorizedException", null, "Session token not found or invalid");
        }
        return Json(HttpStatusCode.OK, new JsonObject
        {
            ["roleCredentials"] = new JsonObject
            {
                ["accessKeyId"] = RoleAccessKey,
                ["secretAccessKey"] = RoleSecretKey,
                ["sessionToken"] = RoleSessionToken,
                ["expiration"] = RoleExpirationMs,
            },
        });
    }

    private static HttpResponseMessage Json(HttpStatusCode status, JsonObject body) =>
        new(status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Error(HttpStatusCode status, string type, string? error, string description)
    {
        var body = error is null
            ? new JsonObject { ["message"] = description }
            : new JsonObject { ["error"] = error, ["error_description"] = description };
        var response = Json(status, body);
        response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/");
        return response;
    }
}
