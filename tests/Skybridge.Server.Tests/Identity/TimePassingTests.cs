using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>What the passing of time ends, on a node whose clock the test moves (no sleeping).</summary>
public sealed class TimePassingTests : IClassFixture<FakeClockServer>
{
    private readonly FakeClockServer _server;

    public TimePassingTests(FakeClockServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Token_IsRefused_AfterItExpires_AndTheClockSkewPasses()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        var claims = AgentKit.Claims(token);
        var life = (double)claims["exp"]! - (double)claims["iat"]!; // iat carries milliseconds, exp whole seconds (never longer)
        Assert.InRange(life, 299, 300);

        _server.Clock.Advance(TimeSpan.FromSeconds(299));
        using (var stillValid = await agent.CallAsync(http, "/api/agent/whoami", token, dpop))
        {
            Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
        }

        // The lifetime, then the 10 seconds of clock skew allowed between nodes.
        _server.Clock.Advance(TimeSpan.FromSeconds(11));
        using var expired = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DPoPNonce_IsAccepted_ForItsLifetime_AndRefused_AfterTwo()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();

        var nonce = await agent.NonceAsync(http);
        _server.Clock.Advance(TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1));
        var accepted = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
        Assert.Equal(HttpStatusCode.OK, accepted.Status);

        nonce = await agent.NonceAsync(http);
        _server.Clock.Advance(TimeSpan.FromMinutes(6));
        var stale = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
        Assert.Equal("use_dpop_nonce", stale.Error);
        Assert.NotEqual(nonce, stale.Headers.GetValues("DPoP-Nonce").Single());
    }

    [Fact]
    public async Task DPoPProof_IsRefused_OnceItsIatIsOlderThanTheLifetimeAndSkew()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var nonce = await agent.NonceAsync(http);
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce);

        // Made now, sent 60 s (lifetime) + 10 s (skew) + 1 s later.
        _server.Clock.Advance(TimeSpan.FromSeconds(71));
        var answer = await agent.RequestTokenAsync(http, dpop, proof: proof);
        Assert.Equal("invalid_dpop_proof", answer.Error);
        Assert.Contains("too old", (string?)answer.Body["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_Lockout_LiftsAfterFifteenMinutes()
    {
        var accounts = _server.Services.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("test", "patient", "Patient", RunningServer.Password, Ct);
        using var client = _server.Client();
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "patient", password = "wrong password " + i }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        _server.Clock.Advance(AccountService.LockoutDuration - TimeSpan.FromSeconds(1));
        using (var stillLocked = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "patient", password = RunningServer.Password }, Ct))
        {
            Assert.Contains("account_locked", await stillLocked.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        using var signedIn = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "patient", password = RunningServer.Password }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, signedIn.StatusCode);
    }
}
