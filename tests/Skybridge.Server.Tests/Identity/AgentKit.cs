using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>
/// The agent side of the protocol, written in the test with Microsoft.IdentityModel directly (not with Skybridge's
/// own client), so that every field of an assertion or a proof can be bent to make an attack.
/// </summary>
internal sealed class AgentKit
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public AgentKit(RunningServer server, string clientId, ECDsa key)
    {
        Server = server;
        ClientId = clientId;
        Key = key;
    }

    public RunningServer Server { get; }
    public string ClientId { get; }
    public ECDsa Key { get; }
    public string Issuer => Server.BaseAddress.ToString().TrimEnd('/');
    public string TokenEndpoint => Issuer + "/oauth/token";

    /// <summary>Registers a new agent in a role of support-desk (through the server's own agent service).</summary>
    public static async Task<AgentKit> RegisterAsync(RunningServer server, string role, string? name = null, string workflow = RunningServer.Workflow)
    {
        name ??= role + "-" + Guid.NewGuid().ToString("N")[..8];
        var pair = AgentKeyPair.Generate();
        var agents = server.Services.GetRequiredService<AgentService>();
        var result = await agents.RegisterAsync("admin", workflow, name, role, pair.PublicJwk, TestContext.Current.CancellationToken);
        Assert.Equal(AgentOutcome.Done, result.Outcome);
        var file = JsonNode.Parse(pair.CredentialsJson("http://unused", AgentService.ClientId(workflow, name), workflow, role, ""))!;
        var jwk = file["key"]!;
        var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes((string)jwk["x"]!), Y = Base64UrlEncoder.DecodeBytes((string)jwk["y"]!) },
            D = Base64UrlEncoder.DecodeBytes((string)jwk["d"]!),
        });
        return new AgentKit(server, AgentService.ClientId(workflow, name), ecdsa);
    }

    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static JsonObject PublicJwk(ECDsa key, bool includePrivate = false)
    {
        var p = key.ExportParameters(includePrivate);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        if (includePrivate)
        {
            jwk["d"] = Base64UrlEncoder.Encode(p.D);
        }

        return jwk;
    }

    public static string Sign(ECDsa key, JsonObject header, JsonObject payload)
    {
        var h = Base64UrlEncoder.Encode(header.ToJsonString());
        var b = Base64UrlEncoder.Encode(payload.ToJsonString());
        var signature = key.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256);
        return h + "." + b + "." + Base64UrlEncoder.Encode(signature);
    }

    private static readonly AsyncLocal<TimeProvider?> ClockInUse = new();

    /// <summary>
    /// Makes proofs, assertions and forged tokens of the calling test use <paramref name="clock"/> (the server's fake
    /// clock), so the agent's idea of "now" moves when the test lets time pass. Undone when disposed.
    /// </summary>
    public static IDisposable UseClock(TimeProvider clock)
    {
        var previous = ClockInUse.Value;
        ClockInUse.Value = clock;
        return new Restore(() => ClockInUse.Value = previous);
    }

    public static long Now(int offsetSeconds = 0) => (ClockInUse.Value ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds() + offsetSeconds;

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>A client assertion (RFC 7523); <paramref name="bend"/> may change any claim.</summary>
    public string Assertion(Action<JsonObject>? bend = null)
    {
        var payload = new JsonObject
        {
            ["iss"] = ClientId, ["sub"] = ClientId, ["aud"] = Issuer, ["iat"] = Now(), ["exp"] = Now(60), ["jti"] = Guid.NewGuid().ToString("N"),
        };
        bend?.Invoke(payload);
        return Sign(Key, new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT" }, payload);
    }

    /// <summary>A DPoP proof (RFC 9449) signed with <paramref name="dpopKey"/>; <paramref name="bendHeader"/>/<paramref name="bend"/> may change it.</summary>
    public static string Proof(ECDsa dpopKey, string method, string url, string? nonce = null, string? accessToken = null, Action<JsonObject>? bend = null, Action<JsonObject>? bendHeader = null)
    {
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk(dpopKey) };
        var payload = new JsonObject { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url, ["iat"] = Now() };
        if (nonce is not null)
        {
            payload["nonce"] = nonce;
        }

        if (accessToken is not null)
        {
            payload["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        bendHeader?.Invoke(header);
        bend?.Invoke(payload);
        return Sign(dpopKey, header, payload);
    }

    /// <summary>The server's current nonce (from any token endpoint answer).</summary>
    public async Task<string> NonceAsync(HttpClient http)
    {
        using var response = await http.PostAsync(TokenEndpoint, new FormUrlEncodedContent([]), TestContext.Current.CancellationToken);
        return response.Headers.GetValues("DPoP-Nonce").Single();
    }

    public sealed record Answer(HttpStatusCode Status, JsonObject Body, HttpResponseHeaders Headers)
    {
        public string? Error => (string?)Body["error"];
        public string? AccessToken => (string?)Body["access_token"];
    }

    public static async Task<Answer> PostFormAsync(HttpClient http, string url, IEnumerable<KeyValuePair<string, string>> form, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Answer(response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!.AsObject(), response.Headers);
    }

    /// <summary>A client_credentials request with a nonce already fetched; extra form fields override.</summary>
    public async Task<Answer> RequestTokenAsync(HttpClient http, ECDsa dpopKey, IDictionary<string, string>? extra = null, string? assertion = null, string? proof = null)
    {
        var nonce = await NonceAsync(http);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion ?? Assertion(),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            form[k] = v;
        }

        return await PostFormAsync(http, TokenEndpoint, form, proof ?? Proof(dpopKey, "POST", TokenEndpoint, nonce));
    }

    /// <summary>A token for this agent bound to <paramref name="dpopKey"/>; fails the test when refused.</summary>
    public async Task<string> TokenAsync(HttpClient http, ECDsa dpopKey, string? scope = null)
    {
        var answer = await RequestTokenAsync(http, dpopKey, scope is null ? null : new Dictionary<string, string> { ["scope"] = scope });
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToJsonString());
        return answer.AccessToken!;
    }

    /// <summary>GET an agent API with a token and a proof (made fresh unless given).</summary>
    public async Task<HttpResponseMessage> CallAsync(HttpClient http, string path, string? token, ECDsa? dpopKey, string scheme = "DPoP", string? proof = null)
    {
        var url = Issuer + path;
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        }

        if (proof is not null || (dpopKey is not null && token is not null))
        {
            request.Headers.Add("DPoP", proof ?? Proof(dpopKey!, "GET", url, accessToken: token));
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Signs any access token with the node's own key: for tokens only the server could make (expired, wrong audience...).</summary>
    public static string Forge(RunningServer server, Action<JsonObject> bend, ECDsa dpopKey, string clientId, Action<JsonObject>? bendHeader = null)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(server.TokenKeyFile));
        var root = doc.RootElement;
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(root.GetProperty("x").GetString()), Y = Base64UrlEncoder.DecodeBytes(root.GetProperty("y").GetString()) },
            D = Base64UrlEncoder.DecodeBytes(root.GetProperty("d").GetString()),
        });
        var issuer = server.BaseAddress.ToString().TrimEnd('/');
        var payload = new JsonObject
        {
            ["iss"] = issuer, ["sub"] = clientId, ["aud"] = issuer + "/api", ["iat"] = Now(), ["nbf"] = Now(), ["exp"] = Now(300),
            ["jti"] = Guid.NewGuid().ToString("N"), ["client_id"] = clientId, ["scope"] = "cases:read",
            ["cnf"] = new JsonObject { ["jkt"] = Base64UrlEncoder.Encode(new JsonWebKey(PublicJwk(dpopKey).ToJsonString()).ComputeJwkThumbprint()) },
            ["workflow"] = RunningServer.Workflow, ["role"] = "responder",
        };
        bend(payload);
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = "at+jwt", ["kid"] = root.GetProperty("kid").GetString() };
        bendHeader?.Invoke(header);
        return Sign(key, header, payload);
    }

    public static string Exchange => "urn:ietf:params:oauth:grant-type:token-exchange";
    public static string AccessTokenType => "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>A token exchange by this agent for <paramref name="subjectToken"/>.</summary>
    public async Task<Answer> ExchangeAsync(HttpClient http, ECDsa dpopKey, string subjectToken, string? scope = null, IDictionary<string, string>? extra = null)
    {
        var nonce = await NonceAsync(http);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = Exchange,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(),
            ["subject_token"] = subjectToken,
            ["subject_token_type"] = AccessTokenType,
        };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            form[k] = v;
        }

        return await PostFormAsync(http, TokenEndpoint, form, Proof(dpopKey, "POST", TokenEndpoint, nonce));
    }

    /// <summary>Revokes <paramref name="token"/> as this agent (RFC 7009 with private_key_jwt).</summary>
    public async Task<Answer> RevokeAsync(HttpClient http, string token) =>
        await PostFormAsync(http, Issuer + "/oauth/revoke", new Dictionary<string, string>
        {
            ["token"] = token,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(),
        }, null);

    public static JsonObject Claims(string jwt) => JsonNode.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[1]))!.AsObject();
}
