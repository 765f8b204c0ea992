using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;

namespace Skybridge.Client.Tests.Support;

/// <summary>Credentials files made in memory, as <c>skybridge agent register</c> writes them.</summary>
internal static class TestCredentials
{
    public const string Issuer = "https://sky.example:8443";

    public static (SkybridgeAgentCredentials Credentials, AgentKeyPair Pair) Make(string clientId = "support-desk/responder-1", string scope = "cases:read cases:write")
    {
        var pair = AgentKeyPair.Generate();
        return (SkybridgeAgentCredentials.Parse(pair.CredentialsJson(Issuer, clientId, "support-desk", "responder", scope)), pair);
    }
}

/// <summary>One request as the fake server saw it.</summary>
internal sealed record SeenRequest(HttpMethod Method, Uri Uri, string? Authorization, string? DPoP, string Body)
{
    public IReadOnlyDictionary<string, string> Form =>
        Body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));

    public JsonElement ProofPayload => Jwt.Part(DPoP!, 1);
}

/// <summary>A hand-written server: answers each request with what <c>respond</c> says, and remembers the requests.</summary>
internal sealed class ScriptedServer(Func<SeenRequest, int, HttpResponseMessage> respond, TimeSpan delay = default) : HttpMessageHandler
{
    private readonly Lock _gate = new();

    public List<SeenRequest> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var seen = new SeenRequest(request.Method, request.RequestUri!, request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("DPoP", out var proofs) ? proofs.Single() : null, body);
        int index;
        lock (_gate)
        {
            Requests.Add(seen);
            index = Requests.Count - 1;
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        var response = respond(seen, index);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? nonce = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (nonce is not null)
        {
            response.Headers.Add("DPoP-Nonce", nonce);
        }

        return response;
    }

    public static HttpResponseMessage Token(string accessToken, int expiresIn = 300, string? nonce = null) =>
        Json(HttpStatusCode.OK, $$"""{"access_token":"{{accessToken}}","token_type":"DPoP","expires_in":{{expiresIn}},"scope":"cases:read"}""", nonce);

    public static HttpResponseMessage Challenge(string error, string? nonce = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ParseAdd($"DPoP error=\"{error}\", algs=\"ES256\"");
        if (nonce is not null)
        {
            response.Headers.Add("DPoP-Nonce", nonce);
        }

        return response;
    }
}

/// <summary>A token source handing out t1, t2, t3... and remembering what it was told.</summary>
internal sealed class CountingTokens : ISkybridgeTokenSource, IDisposable
{
    private readonly Dictionary<string, string> _nonces = [];
    private string? _current;
    private int _issued;

    public DPoPKey Key { get; } = DPoPKey.Create();

    public List<string> Invalidated { get; } = [];

    public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_current ??= "t" + ++_issued);

    public void Invalidate(string accessToken)
    {
        Invalidated.Add(accessToken);
        if (_current == accessToken)
        {
            _current = null;
        }
    }

    public string? NonceFor(Uri uri) => _nonces.GetValueOrDefault(uri.GetLeftPart(UriPartial.Authority));

    public void Remember(Uri uri, HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("DPoP-Nonce", out var values))
        {
            _nonces[uri.GetLeftPart(UriPartial.Authority)] = values.Single();
        }
    }

    public void Dispose() => Key.Dispose();
}

internal static class Jwt
{
    /// <summary>The decoded header (0) or payload (1) of a compact JWS.</summary>
    public static JsonElement Part(string jwt, int index) =>
        JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.Split('.')[index])).RootElement.Clone();

    public static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}
