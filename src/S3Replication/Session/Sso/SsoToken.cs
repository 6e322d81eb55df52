using System;
using System.Globalization;
using System.Text.Json.Nodes;

namespace S3Replication.Session;

/// <summary>How usable a profile's cached sign-in is, as Get-AwsConfigProfile shows it.</summary>
internal enum SsoTokenState
{
    /// <summary>No token file, or one without an access token: sign in first.</summary>
    None,
    Valid,
    /// <summary>The access token has expired, but a refresh token and client registration are still valid.</summary>
    Refreshable,
    Expired,
}

/// <summary>
/// One token cache file's content (<c>~/.aws/sso/cache/&lt;sha1&gt;.json</c>), kept as the JSON it was read from so
/// that writing it back keeps every field this module does not know. Deliberately not a record: its ToString
/// must never show the tokens.
/// </summary>
internal sealed class SsoToken
{
    private readonly JsonObject _json;

    private SsoToken(JsonObject json) => _json = json;

    public static SsoToken FromJson(JsonObject json) => new(json);

    public static SsoToken New(SsoProfile profile, string accessToken, DateTimeOffset expiresAt, string? refreshToken,
        string clientId, string clientSecret, DateTimeOffset registrationExpiresAt)
    {
        var token = new SsoToken(new JsonObject
        {
            ["startUrl"] = profile.StartUrl,
            ["region"] = profile.Region,
        });
        token.Set(accessToken, expiresAt, refreshToken);
        token._json["clientId"] = clientId;
        token._json["clientSecret"] = clientSecret;
        token._json["registrationExpiresAt"] = FormatTime(registrationExpiresAt);
        return token;
    }

    public string? AccessToken => Text("accessToken");
    public DateTimeOffset? ExpiresAt => Time("expiresAt");
    public string? RefreshToken => Text("refreshToken");
    public string? ClientId => Text("clientId");
    public string? ClientSecret => Text("clientSecret");
    public DateTimeOffset? RegistrationExpiresAt => Time("registrationExpiresAt");

    /// <summary>Whether the client registration stored with the token can still be used (for refresh or a new sign-in).</summary>
    public bool HasRegistration(DateTimeOffset now) =>
        ClientId is not null && ClientSecret is not null && RegistrationExpiresAt is { } expiry && expiry > now;

    public bool CanRefresh(DateTimeOffset now) => RefreshToken is not null && HasRegistration(now);

    public SsoTokenState StateAt(DateTimeOffset now, bool refreshable)
    {
        if (AccessToken is null || ExpiresAt is not { } expiresAt)
        {
            return SsoTokenState.None;
        }
        if (expiresAt > now)
        {
            return SsoTokenState.Valid;
        }
        return refreshable && CanRefresh(now) ? SsoTokenState.Refreshable : SsoTokenState.Expired;
    }

    /// <summary>A refreshed token: new access token and expiry, a new refresh token when OIDC issued one, the rest kept.</summary>
    public SsoToken Refreshed(SsoProfile profile, string accessToken, DateTimeOffset expiresAt, string? refreshToken)
    {
        var copy = new SsoToken((JsonObject)_json.DeepClone());
        copy._json["startUrl"] = profile.StartUrl;
        copy._json["region"] = profile.Region;
        copy.Set(accessToken, expiresAt, refreshToken);
        return copy;
    }

    public string ToJsonText() => _json.ToJsonString();

    public override string ToString() =>
        $"SSO token (expires {ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "unknown"}, refresh token {(RefreshToken is null ? "absent" : "present")})";

    /// <summary>The aws CLI's format: UTC to the second with a Z.</summary>
    internal static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private void Set(string accessToken, DateTimeOffset expiresAt, string? refreshToken)
    {
        _json["accessToken"] = accessToken;
        _json["expiresAt"] = FormatTime(expiresAt);
        if (refreshToken is not null)
        {
            _json["refreshToken"] = refreshToken;
        }
    }

    private string? Text(string name) =>
        _json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    private DateTimeOffset? Time(string name) =>
        Text(name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}
