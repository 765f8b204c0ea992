using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Server;
using Skybridge.Core.Identity;
using Skybridge.Server.Hosting;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// Resource-side validation as the DPoP scheme does it per request: the access token (signature, claims) and the
/// DPoP proof (every RFC 9449 check, signature with its jwk, ath, key binding), plus the replay guard.
/// "FirstSight" is a token not seen before; "CachedToken" is the common case, a token already validated.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class TokenValidationBenchmarks
{
    private const string Issuer = "https://skybridge.example";
    private static readonly Uri Whoami = new(Issuer + "/api/agent/whoami");
    // A long proof window only so that one proof, made once, stays inside it for the whole run; the checks are the same.
    private readonly IdentitySettings _settings = new() { ProofLifetime = TimeSpan.FromHours(1) };
    private readonly MemoryReplayGuard _replay = new(TimeProvider.System);
    private readonly ConcurrentDictionary<string, AccessTokenClaims> _cache = new(StringComparer.Ordinal);
    private ECDsaSecurityKey _signing = null!;
    private string _token = null!;
    private string _proof = null!;
    private string _jkt = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        _signing = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "node-key" };
        var dpop = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = dpop.ExportParameters(false);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        _jkt = Jose.Thumbprint(new JsonWebKey(jwk.ToJsonString()));
        var now = DateTimeOffset.UtcNow;
        _token = AccessTokens.Create(new AccessTokenClaims
        {
            Issuer = Issuer, Subject = "support-desk/responder-1", Audiences = [Issuer + "/api"], ClientId = "support-desk/responder-1",
            Scope = ScopeSet.Of(["cases:read", "cases:write", "actions:propose"]), IssuedAt = now, ExpiresAt = now.AddHours(2),
            TokenId = "t1", KeyThumbprint = _jkt, Workflow = "support-desk", Role = "responder",
        }, _signing);
        _proof = Proof(dpop, jwk);
    }

    private string Proof(ECDsa key, JsonObject jwk)
    {
        var h = Base64UrlEncoder.Encode(new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = jwk.DeepClone() }.ToJsonString());
        var b = Base64UrlEncoder.Encode(new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "GET", ["htu"] = Whoami.ToString(), ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["ath"] = Jose.AccessTokenHash(_token),
        }.ToJsonString());
        return h + "." + b + "." + Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256));
    }

    [Benchmark]
    public async Task<bool> FirstSight()
    {
        var now = DateTimeOffset.UtcNow;
        var token = AccessTokens.Validate(_token, _ => _signing, Issuer, Issuer + "/api", now, _settings);
        return token.IsValid && await ProofAsync(token.Claims!, now);
    }

    [Benchmark]
    public async Task<bool> CachedToken()
    {
        var now = DateTimeOffset.UtcNow;
        var claims = _cache.GetOrAdd(_token, t => AccessTokens.Validate(t, _ => _signing, Issuer, Issuer + "/api", now, _settings).Claims!);
        return claims.ExpiresAt > now && await ProofAsync(claims, now);
    }

    private async Task<bool> ProofAsync(AccessTokenClaims claims, DateTimeOffset now)
    {
        var check = DPoPProofValidator.Validate(_proof, new DPoPProofExpectation
        {
            Method = "GET", Uri = Whoami, AccessToken = _token, BoundKeyThumbprint = claims.KeyThumbprint,
        }, now, _settings);
        if (!check.IsValid)
        {
            throw new InvalidOperationException(check.Error!.Description);
        }

        // A distinct replay key per call, as distinct proofs would have.
        return await _replay.TryUseOnceAsync(check.Proof!.ReplayKey + Interlocked.Increment(ref _counter), check.Proof.KeepUntil, CancellationToken.None);
    }
}

/// <summary>
/// Token issuance inside a running node (client_credentials + private_key_jwt + DPoP, ledger entry included): each
/// operation is one complete token request through the token service, 32 in flight. The requests (assertion and
/// proof, each signed by the agent) are made before timing, as agents make them on their own machines.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 8)]
public class TokenIssuanceBenchmarks
{
    private const int Batch = 4000;
    private IssuanceRig _rig = null!;
    private TokenRequest[] _requests = [];

    [GlobalSetup]
    public void Setup() => _rig = IssuanceRig.StartAsync().GetAwaiter().GetResult();

    [IterationSetup]
    public void MakeRequests() => _requests = _rig.Requests(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task Issue()
    {
        await Parallel.ForEachAsync(_requests, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (request, ct) =>
        {
            var response = await _rig.Tokens.HandleAsync(request, ct);
            if (response.Status != 200)
            {
                throw new InvalidOperationException(response.Body.ToJsonString());
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup() => _rig.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>A node on a throw-away SQLite store with the sample workflow and one registered agent, and that agent's keys.</summary>
internal sealed class IssuanceRig : IAsyncDisposable
{
    private readonly string _folder;
    private readonly WebApplication _app;
    private readonly ISkybridgeStore _store;
    private readonly ECDsa _clientKey;
    private readonly ECDsa _dpopKey;
    private readonly JsonObject _dpopJwk;

    private IssuanceRig(string folder, WebApplication app, ISkybridgeStore store, ECDsa clientKey, string clientId, string issuer)
    {
        _folder = folder;
        _app = app;
        _store = store;
        _clientKey = clientKey;
        ClientId = clientId;
        Issuer = issuer;
        Tokens = app.Services.GetRequiredService<TokenIssuer>();
        _dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = _dpopKey.ExportParameters(false);
        _dpopJwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
    }

    public TokenIssuer Tokens { get; }
    public string ClientId { get; }
    public string Issuer { get; }
    public string TokenEndpoint => Issuer + "/oauth/token";
    public WebApplication App => _app;

    public static async Task<IssuanceRig> StartAsync(int port = 0)
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-bench-id-" + Guid.NewGuid().ToString("N"));
        var store = SkybridgeStores.OpenSqlite(folder);
        await store.MigrateAsync();
        await using (var ledger = new LedgerWriter(store, TimeProvider.System, "bench"))
        {
            var manifest = await File.ReadAllTextAsync(FindSample());
            var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(manifest, "manifest.yaml", null, "bench", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
            if (!published.IsValid)
            {
                throw new InvalidOperationException("The sample manifest does not validate.");
            }
        }

        var issuer = $"http://127.0.0.1:{(port == 0 ? FreePort() : port)}";
        var app = SkybridgeServer.Build(new SkybridgeServerOptions
        {
            Urls = issuer, PublicUrl = issuer, NodeId = "bench", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            // The load comes from one address on purpose: it measures the token service, not the limiter.
            RateLimits = new RequestRateLimits { Enabled = false },
        }, store);
        await app.StartNodeAsync(default);
        var pair = AgentKeyPair.Generate();
        var result = await app.Services.GetRequiredService<AgentService>().RegisterAsync("bench", "support-desk", "bench-agent", "responder", pair.PublicJwk, default);
        var credentials = JsonNode.Parse(pair.CredentialsJson(issuer, result.Agent!.ClientId, "support-desk", "responder", ""))!["key"]!;
        var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes((string)credentials["x"]!), Y = Base64UrlEncoder.DecodeBytes((string)credentials["y"]!) },
            D = Base64UrlEncoder.DecodeBytes((string)credentials["d"]!),
        });
        return new IssuanceRig(folder, app, store, key, result.Agent.ClientId, issuer);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "support-desk", "manifest.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("samples/support-desk/manifest.yaml not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The form and DPoP header of <paramref name="count"/> distinct token requests, each with a fresh assertion and proof.</summary>
    public (Dictionary<string, string> Form, string Proof)[] Wire(int count)
    {
        var nonce = Tokens.CurrentNonce;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = new (Dictionary<string, string>, string)[count];
        for (var i = 0; i < count; i++)
        {
            var assertion = Sign(_clientKey, new JsonObject { ["alg"] = "ES256" }, new JsonObject
            {
                ["iss"] = ClientId, ["sub"] = ClientId, ["aud"] = Issuer, ["iat"] = now, ["exp"] = now + 240, ["jti"] = Guid.NewGuid().ToString("N"),
            });
            var proof = Sign(_dpopKey, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = _dpopJwk.DeepClone() }, new JsonObject
            {
                ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "POST", ["htu"] = TokenEndpoint, ["iat"] = now, ["nonce"] = nonce,
            });
            result[i] = (new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = assertion,
            }, proof);
        }

        return result;
    }

    public TokenRequest[] Requests(int count) =>
        [.. Wire(count).Select(w => new TokenRequest(w.Form, [w.Proof], new Uri(TokenEndpoint)))];

    private static string Sign(ECDsa key, JsonObject header, JsonObject payload)
    {
        var h = Base64UrlEncoder.Encode(header.ToJsonString());
        var b = Base64UrlEncoder.Encode(payload.ToJsonString());
        return h + "." + b + "." + Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
