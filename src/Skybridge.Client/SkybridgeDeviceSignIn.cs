using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Skybridge.Client;

/// <summary>A device authorization in progress (RFC 8628 section 3.2): what to show the person, and until when.</summary>
/// <param name="UserCode">The code the person checks in the console (<c>XXXX-XXXX</c>).</param>
/// <param name="VerificationUri">Where the person approves: the console's <c>/device</c> page.</param>
/// <param name="VerificationUriComplete">The same page with the code filled in, or null.</param>
/// <param name="ExpiresAt">When the code stops working.</param>
/// <param name="Interval">How long to wait between polls, as the server asked.</param>
public sealed record SkybridgeDeviceCode(string UserCode, Uri VerificationUri, Uri? VerificationUriComplete, DateTimeOffset ExpiresAt, TimeSpan Interval)
{
    /// <summary>The device code itself: sent back while polling, never shown.</summary>
    internal string DeviceCode { get; init; } = "";
}

/// <summary>
/// A person signs in from a terminal or a headless machine with the device authorization grant (RFC 8628): start, show
/// the code and link, wait while the person approves in the console. The token is bound to this object's DPoP key, and
/// the object is then a token source for a <see cref="SkybridgeAgentHandler"/>; an agent may act for the person by
/// exchanging the token (<see cref="SkybridgeTokenClient.ExchangeAsync"/>).
/// </summary>
public sealed class SkybridgeDeviceSignIn : ISkybridgeTokenSource, IDisposable
{
    /// <summary>The client id of Skybridge's own command line, a public client that may use the device grant.</summary>
    public const string CliClientId = "skybridge-cli";

    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    private readonly string _issuer;
    private readonly string _clientId;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly bool _ownsKey;
    private readonly ConcurrentDictionary<string, string> _nonces = new(StringComparer.OrdinalIgnoreCase);
    private SkybridgeToken? _token;

    /// <summary>
    /// Sign-in at the server <paramref name="issuer"/> as <paramref name="clientId"/>. <paramref name="key"/> defaults to
    /// a fresh key, disposed with this object; a key passed in stays the caller's.
    /// </summary>
    public SkybridgeDeviceSignIn(Uri issuer, string clientId = CliClientId, HttpClient? http = null, DPoPKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        _issuer = issuer.ToString().TrimEnd('/');
        _clientId = clientId;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _ownsKey = key is null;
        Key = key ?? DPoPKey.Create();
    }

    /// <inheritdoc />
    public DPoPKey Key { get; }

    /// <summary>Waits between polls; tests replace it to run without real time passing.</summary>
    internal Func<TimeSpan, CancellationToken, Task> Delay { get; set; } = Task.Delay;

    private Uri Endpoint(string path) => new(_issuer + path);

    /// <summary>Starts a sign-in (RFC 8628 section 3.1), asking for <paramref name="scope"/> (null: all the person's roles allow).</summary>
    public async Task<SkybridgeDeviceCode> StartAsync(string? scope = null, CancellationToken cancellationToken = default)
    {
        var form = new Dictionary<string, string> { ["client_id"] = _clientId };
        if (!string.IsNullOrWhiteSpace(scope))
        {
            form["scope"] = scope;
        }

        using var response = await _http.PostAsync(Endpoint("/oauth/device_authorization"), new FormUrlEncodedContent(form), cancellationToken).ConfigureAwait(false);
        var json = SkybridgeTokenClient.TryParse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        if (!response.IsSuccessStatusCode || json is not { } body
            || Text(body, "device_code") is not { } deviceCode || Text(body, "user_code") is not { } userCode
            || !Uri.TryCreate(Text(body, "verification_uri"), UriKind.Absolute, out var verification))
        {
            throw SkybridgeTokenClient.Refusal(response, json);
        }

        Uri.TryCreate(Text(body, "verification_uri_complete"), UriKind.Absolute, out var complete);
        var lifetime = body.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 600;
        // interval is optional; 5 seconds is the default the RFC names (section 3.2).
        var interval = body.TryGetProperty("interval", out var i) && i.TryGetInt32(out var every) && every > 0 ? every : 5;
        return new SkybridgeDeviceCode(userCode, verification, complete, DateTimeOffset.UtcNow.AddSeconds(lifetime), TimeSpan.FromSeconds(interval)) { DeviceCode = deviceCode };
    }

    /// <summary>
    /// Polls the token endpoint (RFC 8628 section 3.4) until the person approves: waits the interval between polls,
    /// five seconds more after each <c>slow_down</c>, answers a DPoP nonce request at once. A denial, an expired code
    /// or any other refusal ends it with a <see cref="SkybridgeTokenException"/> (<c>access_denied</c>,
    /// <c>expired_token</c>...).
    /// </summary>
    public async Task<SkybridgeToken> WaitForApprovalAsync(SkybridgeDeviceCode code, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        var tokenEndpoint = Endpoint("/oauth/token");
        var interval = code.Interval;
        var wait = interval;
        var nonceRetried = false;
        while (DateTimeOffset.UtcNow < code.ExpiresAt)
        {
            await Delay(wait, cancellationToken).ConfigureAwait(false);
            wait = interval;
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = DeviceGrant, ["client_id"] = _clientId, ["device_code"] = code.DeviceCode,
                }),
            };
            request.Headers.Add("DPoP", Key.CreateProof(HttpMethod.Post, tokenEndpoint, NonceFor(tokenEndpoint)));
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Remember(tokenEndpoint, response);
            var json = SkybridgeTokenClient.TryParse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (SkybridgeTokenClient.TokenFrom(response, json) is { } token)
            {
                Volatile.Write(ref _token, token);
                return token;
            }

            var refusal = SkybridgeTokenClient.Refusal(response, json);
            switch (refusal.Error)
            {
                case "authorization_pending":
                    nonceRetried = false;
                    continue;
                case "slow_down":
                    // RFC 8628 section 3.5: this and every later poll waits five seconds more.
                    interval += SlowDownStep;
                    wait = interval;
                    continue;
                case "use_dpop_nonce" when !nonceRetried && response.Headers.Contains("DPoP-Nonce"):
                    // RFC 9449 section 8: poll again at once with the nonce; the interval counts from the last real poll.
                    nonceRetried = true;
                    wait = TimeSpan.Zero;
                    continue;
                default:
                    throw refusal;
            }
        }

        throw new SkybridgeTokenException("expired_token", "Nobody approved the code before it expired.", HttpStatusCode.BadRequest);
    }

    /// <summary>The approved token; before approval, after it expires or once refused, sign in again.</summary>
    public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _token) is { } token && token.ExpiresAt > DateTimeOffset.UtcNow
            ? ValueTask.FromResult(token.AccessToken)
            : ValueTask.FromException<string>(new SkybridgeTokenException("expired_token", "Not signed in, or the sign-in has ended: sign in again.", HttpStatusCode.Unauthorized));

    /// <inheritdoc />
    public void Invalidate(string accessToken) => SkybridgeTokenClient.Invalidate(ref _token, accessToken);

    /// <inheritdoc />
    public string? NonceFor(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return _nonces.GetValueOrDefault(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <inheritdoc />
    public void Remember(Uri uri, HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.TryGetValues("DPoP-Nonce", out var values) && values.FirstOrDefault() is { Length: > 0 } nonce)
        {
            _nonces[uri.GetLeftPart(UriPartial.Authority)] = nonce;
        }
    }

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

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
    }
}
