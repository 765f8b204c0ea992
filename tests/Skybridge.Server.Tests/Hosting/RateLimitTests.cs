using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>A node with small limits, so a burst from one test reaches them.</summary>
public sealed class RateLimitedServer : RunningServer
{
    public const int OAuthPermits = 20, SignInPermits = 5;

    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with
    {
        RateLimits = new RequestRateLimits { OAuthPermits = OAuthPermits, SignInPermits = SignInPermits, Window = TimeSpan.FromMinutes(10) },
    };
}

/// <summary>
/// Garbage from one source is turned away with 429 and Retry-After once over its limit, the ledger records the flood
/// once instead of once per request, and an agent on another address still gets its tokens.
/// </summary>
public sealed class RateLimitTests : IClassFixture<RateLimitedServer>
{
    private readonly RateLimitedServer _server;

    public RateLimitTests(RateLimitedServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A client whose connections come from another loopback address: another source to the server.</summary>
    private HttpClient ClientFrom(string localAddress)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = _server.BaseAddress };
    }

    private async Task<List<(string Type, string Body)>> LedgerSinceAsync(long from) =>
        [.. (await _server.Store.ReadLedgerEventsAsync(from, 10_000, Ct)).Select(e => (e.Type, e.Body))];

    [Fact]
    public async Task TokenEndpoint_GarbageBurst_IsLimited_LedgerBounded_AndAWellBehavedAgentStillGetsTokens()
    {
        var from = (await _server.Store.GetLedgerHeadAsync(Ct)).Size;
        using var attacker = ClientFrom("127.0.0.2");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 300; i++)
        {
            var response = await attacker.PostAsync("/oauth/token", new StringContent("grant_type=garbage&x=" + i, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && limited is null)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.Equal(RateLimitedServer.OAuthPermits, statuses.Count(s => s == HttpStatusCode.BadRequest));
        Assert.Equal(300 - RateLimitedServer.OAuthPermits, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
            var body = JsonNode.Parse(await limited.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal("temporarily_unavailable", (string?)body["error"]);
            Assert.False(string.IsNullOrEmpty((string?)body["error_description"]));
        }

        // One entry per request that got through, one for the whole flood that did not.
        var events = await LedgerSinceAsync(from);
        Assert.Equal(RateLimitedServer.OAuthPermits, events.Count(e => e.Type == "token.refused"));
        var flood = Assert.Single(events, e => e.Type == "request.rate_limited");
        Assert.DoesNotContain("127.0.0.2", flood.Body, StringComparison.Ordinal);
        Assert.Equal(RateLimitedServer.OAuthPermits + 1, events.Count);

        // The agent is another source: its limit is its own.
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        var token = await agent.TokenAsync(http, AgentKit.NewKey());
        Assert.False(string.IsNullOrEmpty(token));
    }

    [Fact]
    public async Task SignIn_Burst_IsLimited_WithProblemDetails_OnTheApiAndTheConsoleForm()
    {
        var from = (await _server.Store.GetLedgerHeadAsync(Ct)).Size;
        using var attacker = ClientFrom("127.0.0.3");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await attacker.PostAsync("/api/auth/sign-in",
                new StringContent($$"""{"userName":"guess{{i}}","password":"x"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.Contains("Retry-After"));
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.Equal("rate_limited", doc.RootElement.GetProperty("code").GetString());
            }
        }

        Assert.Equal(RateLimitedServer.SignInPermits, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(40 - RateLimitedServer.SignInPermits, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // The console form counts against the same source's sign-in limit.
        using var form = await attacker.PostAsync("/signin", new FormUrlEncodedContent([new("UserName", "owner"), new("Password", "x")]), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);

        var events = await LedgerSinceAsync(from);
        Assert.Equal(RateLimitedServer.SignInPermits, events.Count(e => e.Type == "auth.sign_in_refused"));
        Assert.Single(events, e => e.Type == "request.rate_limited");

        // Someone else signs in as usual.
        using var owner = await _server.SignedInClientAsync("owner");
    }
}

/// <summary>A node whose sign-in limit is off (0), as behind a proxy that limits for it.</summary>
public sealed class UnlimitedSignInServer : RunningServer
{
    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with
    {
        RateLimits = new RequestRateLimits { OAuthPermits = 5, SignInPermits = 0, Window = TimeSpan.FromMinutes(10) },
    };
}

/// <summary>A limit of 0 turns that limit off, and only that one.</summary>
public sealed class RateLimitOffTests : IClassFixture<UnlimitedSignInServer>
{
    private readonly UnlimitedSignInServer _server;

    public RateLimitOffTests(UnlimitedSignInServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_LimitZero_NeverAnswers429_WhileTheOAuthLimitStillHolds()
    {
        using var client = _server.Client();
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.PostAsync("/api/auth/sign-in",
                new StringContent($$"""{"userName":"guess{{i}}","password":"x"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "client_credentials")]), Ct);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }
}
