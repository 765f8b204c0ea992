using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Server.Tests.Support;

/// <summary>
/// A small but real OpenID Connect provider on a loopback port: discovery, JWKS, an authorization endpoint that signs
/// in <see cref="Person"/> at once, and a token endpoint that checks the code, redirect URI, client secret and PKCE
/// verifier and returns an RS256 id_token. It stands in for a hosted provider, which cannot run here.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "skybridge-console";
    public const string ClientSecret = "test-client-secret-123";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string RedirectUri, string Challenge, PersonAtIdp Person)> _codes = new();
    private WebApplication? _app;

    public sealed record PersonAtIdp(string Subject, string UserName, string Name, IReadOnlyList<string> Groups);

    /// <summary>Who is signed in at the provider.</summary>
    public PersonAtIdp Person { get; set; } = new("u-1001", "dana", "Dana Weber", ["support-leads"]);

    /// <summary>Lets a test spoil the next id_token (wrong audience, expired...).</summary>
    public Action<JsonObject>? BendIdToken { get; set; }

    public string Authority { get; private set; } = "";

    /// <summary>Names the provider <c>localhost</c> instead of <c>127.0.0.1</c>: another site than the server, as a hosted provider is.</summary>
    public bool NameItLocalhost { get; init; }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["authorization_endpoint"] = Authority + "/authorize",
            ["token_endpoint"] = Authority + "/token",
            ["jwks_uri"] = Authority + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var p = _rsa.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "idp-1", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        });
        _app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256")
            {
                return Results.BadRequest("unexpected authorization request");
            }

            var code = Guid.NewGuid().ToString("N");
            _codes[code] = (q["nonce"].ToString(), q["redirect_uri"].ToString(), q["code_challenge"].ToString(), Person);
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant) || form["redirect_uri"] != grant.RedirectUri)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            var verifier = form["code_verifier"].ToString();
            if (Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
            {
                return Results.Json(new { error = "invalid_grant", error_description = "PKCE" }, statusCode: 400);
            }

            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var claims = new JsonObject
            {
                ["iss"] = Authority, ["sub"] = grant.Person.Subject, ["aud"] = ClientId, ["iat"] = now, ["exp"] = now + 300, ["nonce"] = grant.Nonce,
                ["preferred_username"] = grant.Person.UserName, ["name"] = grant.Person.Name,
                ["groups"] = new JsonArray([.. grant.Person.Groups.Select(g => (JsonNode)g)]),
            };
            BendIdToken?.Invoke(claims);
            var header = Base64UrlEncoder.Encode(new JsonObject { ["alg"] = "RS256", ["kid"] = "idp-1", ["typ"] = "JWT" }.ToJsonString());
            var body = Base64UrlEncoder.Encode(claims.ToJsonString());
            var signature = _rsa.SignData(Encoding.ASCII.GetBytes(header + "." + body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return Results.Json(new { access_token = Guid.NewGuid().ToString("N"), token_type = "Bearer", expires_in = 300, id_token = header + "." + body + "." + Base64UrlEncoder.Encode(signature) });
        });
        await _app.StartAsync();
        Authority = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        if (NameItLocalhost)
        {
            Authority = Authority.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _rsa.Dispose();
    }
}
