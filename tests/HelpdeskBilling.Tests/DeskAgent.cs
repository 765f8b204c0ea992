using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Agents;

namespace HelpdeskBilling.Tests;

/// <summary>
/// An agent of the support-desk workflow, written with plain JOSE so every field can be bent: it gets tokens from the
/// real node (private_key_jwt, DPoP, RFC 8707 resource) and calls the service with a fresh proof per request.
/// </summary>
internal sealed class DeskAgent
{
    private DeskAgent(DeskFixture fixture, string clientId, ECDsa key)
    {
        Fixture = fixture;
        ClientId = clientId;
        Key = key;
    }

    public DeskFixture Fixture { get; }
    public string ClientId { get; }
    public ECDsa Key { get; }

    /// <summary>The key its tokens are bound to (RFC 9449): another one than its client key.</summary>
    public ECDsa DPoPKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<DeskAgent> RegisterAsync(DeskFixture fixture, string role)
    {
        var name = role + "-" + Guid.NewGuid().ToString("N")[..8];
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var agents = fixture.SkybridgeServices.GetRequiredService<AgentService>();
        var result = await agents.RegisterAsync("admin", DeskFixture.Workflow, name, role, PublicJwk(key).ToJsonString(), Ct);
        Assert.Equal(AgentOutcome.Done, result.Outcome);
        return new DeskAgent(fixture, AgentService.ClientId(DeskFixture.Workflow, name), key);
    }

    public static JsonObject PublicJwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
    }

    public static string Thumbprint(ECDsa key) => Base64UrlEncoder.Encode(new JsonWebKey(PublicJwk(key).ToJsonString()).ComputeJwkThumbprint());

    public static string Sign(ECDsa key, JsonObject header, JsonObject payload)
    {
        var h = Base64UrlEncoder.Encode(header.ToJsonString());
        var b = Base64UrlEncoder.Encode(payload.ToJsonString());
        return h + "." + b + "." + Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256));
    }

    /// <summary>Proposes an action for a case through the node's API (a fresh DPoP proof), as an agent would.</summary>
    public async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> ProposeAsync(string token, string caseId, object body)
    {
        var url = Fixture.Issuer + $"/api/cases/{caseId}/actions";
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", Proof(DPoPKey, "POST", url, token));
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    /// <summary>A token from the node, or the refusal (error code) when it issues none.</summary>
    public async Task<(string? Token, string? Error)> TryTokenAsync(string? resource, string scope, string? subjectToken = null)
    {
        using var http = new HttpClient();
        var endpoint = Fixture.Issuer + "/oauth/token";
        using var first = await http.PostAsync(endpoint, new FormUrlEncodedContent([]), Ct);
        var nonce = first.Headers.GetValues("DPoP-Nonce").Single();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = subjectToken is null ? "client_credentials" : "urn:ietf:params:oauth:grant-type:token-exchange",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Sign(Key, new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT" }, new JsonObject
            {
                ["iss"] = ClientId, ["sub"] = ClientId, ["aud"] = Fixture.Issuer, ["iat"] = now, ["exp"] = now + 60, ["jti"] = Guid.NewGuid().ToString("N"),
            }),
            ["scope"] = scope,
        };
        if (resource is not null)
        {
            form["resource"] = resource;
        }

        if (subjectToken is not null)
        {
            form["subject_token"] = subjectToken;
            form["subject_token_type"] = "urn:ietf:params:oauth:token-type:access_token";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("DPoP", Proof(DPoPKey, "POST", endpoint, nonce: nonce));
        using var response = await http.SendAsync(request, Ct);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        return response.StatusCode == HttpStatusCode.OK ? ((string)body["access_token"]!, null) : (null, (string?)body["error"]);
    }

    public async Task<string> TokenAsync(string? resource, string scope, string? subjectToken = null)
    {
        var (token, error) = await TryTokenAsync(resource, scope, subjectToken);
        Assert.True(token is not null, "The node refused the token: " + error);
        return token!;
    }

    /// <summary>A DPoP proof (RFC 9449) for a call; <paramref name="bend"/> may change its claims.</summary>
    public static string Proof(ECDsa key, string method, string url, string? accessToken = null, string? nonce = null, DateTimeOffset? at = null, Action<JsonObject>? bend = null)
    {
        var payload = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url, ["iat"] = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            payload["nonce"] = nonce;
        }

        if (accessToken is not null)
        {
            payload["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        bend?.Invoke(payload);
        return Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk(key) }, payload);
    }

    /// <summary>A call to the service with the token and a fresh proof of this agent's DPoP key (unless given).</summary>
    public async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, string? token, object? body = null,
        string? proof = null, string scheme = "DPoP", bool sendProof = true, string? idempotencyKey = null, DateTimeOffset? proofTime = null)
    {
        var url = Fixture.DeskUrl + path;
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        }

        if (sendProof)
        {
            request.Headers.Add("DPoP", proof ?? Proof(DPoPKey, method.Method, url, token, at: proofTime));
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await http.SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    public static JsonObject Claims(string jwt) => JsonNode.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[1]))!.AsObject();
}
