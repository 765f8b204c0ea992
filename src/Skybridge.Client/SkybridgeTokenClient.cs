using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Client;

/// <summary>An access token as the token endpoint issued it.</summary>
/// <param name="AccessToken">The token; send it only with a DPoP proof of the client's key.</param>
/// <param name="ExpiresAt">When it stops working.</param>
/// <param name="Scope">The scope granted.</param>
public sealed record SkybridgeToken(string AccessToken, DateTimeOffset ExpiresAt, string? Scope)
{
    /// <summary>When a cached copy is renewed: a little before <see cref="ExpiresAt"/>, so no request carries a dying token.</summary>
    internal DateTimeOffset RenewAt { get; init; } = ExpiresAt;

    /// <summary>Everything but the token itself, so that logging a token never leaks it.</summary>
    public override string ToString() => $"SkybridgeToken {{ ExpiresAt = {ExpiresAt:O}, Scope = {Scope} }}";
}

/// <summary>Where a <see cref="SkybridgeAgentHandler"/> gets its tokens, and the key they are bound to.</summary>
public interface ISkybridgeTokenSource
{
    /// <summary>The key every token from this source is bound to.</summary>
    DPoPKey Key { get; }

    /// <summary>A token valid for a while yet (cached until shortly before it expires).</summary>
    ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default);

    /// <summary>Forgets a token the server refused, so the next call gets a new one.</summary>
    void Invalidate(string accessToken);

    /// <summary>The newest DPoP nonce the server gave for <paramref name="uri"/>'s origin, or null.</summary>
    string? NonceFor(Uri uri);

    /// <summary>Remembers the <c>DPoP-Nonce</c> of a response.</summary>
    void Remember(Uri uri, HttpResponseMessage response);
}

/// <summary>
/// Gets tokens for an agent: <c>client_credentials</c> with a <c>private_key_jwt</c> client assertion (RFC 7523) and a
/// DPoP proof (RFC 9449), and token exchange for sub-agents (RFC 8693). Retries once when the server asks for a
/// nonce. Thread-safe; one request at a time fetches a new token while others wait for it.
/// </summary>
public sealed class SkybridgeTokenClient : ISkybridgeTokenSource, IDisposable
{
    internal const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    internal const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    internal const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(30);

    private readonly SkybridgeAgentCredentials _credentials;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly bool _ownsKey;
    private readonly SigningCredentials _signing;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private readonly ConcurrentDictionary<string, string> _nonces = new(StringComparer.OrdinalIgnoreCase);
    private SkybridgeToken? _current;

    /// <summary>
    /// A client for <paramref name="credentials"/>. <paramref name="http"/> reaches the token endpoint (a plain client;
    /// never one with a <see cref="SkybridgeAgentHandler"/>). <paramref name="key"/> defaults to a fresh key, which this
    /// client disposes with itself; a key passed in stays the caller's.
    /// </summary>
    public SkybridgeTokenClient(SkybridgeAgentCredentials credentials, HttpClient? http = null, DPoPKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _ownsKey = key is null;
        Key = key ?? DPoPKey.Create();
        Scope = credentials.Scope;
        Resource = credentials.Resource;
        _signing = new SigningCredentials(new ECDsaSecurityKey(credentials.Key) { KeyId = credentials.KeyId }, SecurityAlgorithms.EcdsaSha256)
        {
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
    }

    /// <summary>The scope <see cref="GetAccessTokenAsync"/> asks for; defaults to the credentials file's.</summary>
    public string? Scope { get; init; }

    /// <summary>The resource (RFC 8707) <see cref="GetAccessTokenAsync"/> asks for; defaults to the credentials file's.</summary>
    public string? Resource { get; init; }

    /// <inheritdoc />
    public DPoPKey Key { get; }

    /// <summary>The agent's client id.</summary>
    public string ClientId => _credentials.ClientId;

    /// <summary>The clock deciding when a cached token is renewed and what assertions say; tests move a fake one.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        if (Fresh(Volatile.Read(ref _current), Time.GetUtcNow()) is { } token)
        {
            return token;
        }

        // One fetch at a time: callers arriving while a token is on its way wait for it instead of asking again.
        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(Volatile.Read(ref _current), Time.GetUtcNow()) is { } fetched)
            {
                return fetched;
            }

            var issued = await RequestTokenAsync(Scope, Resource, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _current, issued);
            return issued.AccessToken;
        }
        finally
        {
            _fetching.Release();
        }
    }

    internal static string? Fresh(SkybridgeToken? token) => Fresh(token, DateTimeOffset.UtcNow);

    internal static string? Fresh(SkybridgeToken? token, DateTimeOffset now) => token is not null && token.RenewAt > now ? token.AccessToken : null;

    /// <summary>Renews 30 seconds before expiry, or half-way through a shorter life.</summary>
    internal static SkybridgeToken Issued(string accessToken, TimeSpan lifetime, string? scope, DateTimeOffset now)
    {
        var margin = lifetime / 2 < RenewBefore ? lifetime / 2 : RenewBefore;
        return new SkybridgeToken(accessToken, now + lifetime, scope) { RenewAt = now + lifetime - margin };
    }

    /// <summary>Drops <paramref name="accessToken"/> from the cache unless another caller has replaced it already.</summary>
    internal static void Invalidate(ref SkybridgeToken? current, string accessToken)
    {
        var seen = Volatile.Read(ref current);
        if (seen is not null && string.Equals(seen.AccessToken, accessToken, StringComparison.Ordinal))
        {
            Interlocked.CompareExchange(ref current, null, seen);
        }
    }

    /// <inheritdoc />
    public void Invalidate(string accessToken) => Invalidate(ref _current, accessToken);

    /// <summary>A new token (not cached) with <c>client_credentials</c>.</summary>
    public Task<SkybridgeToken> RequestTokenAsync(string? scope = null, string? resource = null, CancellationToken cancellationToken = default)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        Add(form, "scope", scope);
        Add(form, "resource", resource);
        return PostAsync(form, cancellationToken);
    }

    /// <summary>
    /// Token exchange (RFC 8693): a token for this agent acting for the holder of <paramref name="subjectToken"/>,
    /// bound to this client's key, narrowed to <paramref name="scope"/> (null: what both allow).
    /// </summary>
    public Task<SkybridgeToken> ExchangeAsync(string subjectToken, string? scope = null, string? resource = null, string? actorToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectToken);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = TokenExchangeGrant,
            ["subject_token"] = subjectToken,
            ["subject_token_type"] = AccessTokenType,
            ["requested_token_type"] = AccessTokenType,
        };
        Add(form, "scope", scope);
        Add(form, "resource", resource);
        if (actorToken is not null)
        {
            form["actor_token"] = actorToken;
            form["actor_token_type"] = AccessTokenType;
        }

        return PostAsync(form, cancellationToken);
    }

    private static void Add(Dictionary<string, string> form, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            form[name] = value;
        }
    }

    private async Task<SkybridgeToken> PostAsync(Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        // Once, then once more when the server asks for its nonce (RFC 9449 section 8).
        for (var attempt = 0; ; attempt++)
        {
            var body = new Dictionary<string, string>(form)
            {
                ["client_assertion_type"] = AssertionType,
                ["client_assertion"] = Assertion(),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, _credentials.TokenEndpoint) { Content = new FormUrlEncodedContent(body) };
            request.Headers.Add("DPoP", Key.CreateProof(HttpMethod.Post, _credentials.TokenEndpoint, NonceFor(_credentials.TokenEndpoint)));
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Remember(_credentials.TokenEndpoint, response);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var json = TryParse(text);
            if (TokenFrom(response, json, Time.GetUtcNow()) is { } issued)
            {
                return issued;
            }

            var refusal = Refusal(response, json);
            if (refusal.Error == "use_dpop_nonce" && attempt == 0 && response.Headers.Contains("DPoP-Nonce"))
            {
                continue;
            }

            throw refusal;
        }
    }

    /// <summary>
    /// Revokes a token issued to this agent or one it acts in (RFC 7009), and drops it from the cache. The server
    /// answers the same whether or not the token was still valid, so this only fails when the client is refused.
    /// </summary>
    public async Task RevokeAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        Invalidate(token);
        var body = new Dictionary<string, string>
        {
            ["token"] = token,
            ["token_type_hint"] = "access_token",
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = Assertion(),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, RevocationEndpoint) { Content = new FormUrlEncodedContent(body) };
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw Refusal(response, TryParse(text));
        }
    }

    /// <summary>The revocation endpoint, next to the token endpoint under the issuer (docs/identity.md).</summary>
    private Uri RevocationEndpoint => new(_credentials.Issuer.ToString().TrimEnd('/') + "/oauth/revoke");

    /// <summary>An RFC 6749 section 5.2 error body as an exception; an answer that is not one is named by its status.</summary>
    internal static SkybridgeTokenException Refusal(HttpResponseMessage response, JsonElement? json)
    {
        var error = json?.TryGetProperty("error", out var code) == true && code.ValueKind == JsonValueKind.String ? code.GetString()! : $"http_{(int)response.StatusCode}";
        var description = json?.TryGetProperty("error_description", out var d) == true && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return new SkybridgeTokenException(error, description, response.StatusCode);
    }

    /// <summary>The token of a successful token response (RFC 6749 section 5.1), or null.</summary>
    internal static SkybridgeToken? TokenFrom(HttpResponseMessage response, JsonElement? json) => TokenFrom(response, json, DateTimeOffset.UtcNow);

    /// <summary>The token of a successful token response, received at <paramref name="now"/>, or null.</summary>
    internal static SkybridgeToken? TokenFrom(HttpResponseMessage response, JsonElement? json, DateTimeOffset now)
    {
        if (!response.IsSuccessStatusCode || json?.TryGetProperty("access_token", out var token) != true || token.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        // expires_in is RECOMMENDED, not required (RFC 6749 section 5.1): without it, assume a short life.
        var lifetime = json.Value.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60;
        var scope = json.Value.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return Issued(token.GetString()!, TimeSpan.FromSeconds(lifetime), scope, now);
    }

    internal static JsonElement? TryParse(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A client assertion (RFC 7523 section 3): short-lived, unique, about and by this client, for this server.</summary>
    private string Assertion()
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = _credentials.ClientId,
                ["sub"] = _credentials.ClientId,
                ["aud"] = _credentials.Issuer.ToString().TrimEnd('/'),
                ["iat"] = now,
                ["exp"] = now + 60,
                ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            },
            SigningCredentials = _signing,
        });
    }

    /// <inheritdoc />
    public string? NonceFor(Uri uri) => _nonces.GetValueOrDefault(Origin(uri));

    /// <inheritdoc />
    public void Remember(Uri uri, HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.TryGetValues("DPoP-Nonce", out var values) && values.FirstOrDefault() is { Length: > 0 } nonce)
        {
            _nonces[Origin(uri)] = nonce;
        }
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        if (_ownsKey)
        {
            Key.Dispose();
        }

        _fetching.Dispose();
    }
}

/// <summary>The token endpoint said no. <see cref="Error"/> is the RFC error code to act on.</summary>
public sealed class SkybridgeTokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SkybridgeTokenException(string error, string? description, HttpStatusCode status)
        : base($"Skybridge refused the token request: {error}" + (description is null ? "" : $" ({description})"))
    {
        Error = error;
        ErrorDescription = description;
        Status = status;
    }

    /// <summary>The error code (<c>invalid_client</c>, <c>invalid_scope</c>...).</summary>
    public string Error { get; }

    /// <summary>The server's explanation, or null.</summary>
    public string? ErrorDescription { get; }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }
}
