using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.People;

/// <summary>The CLI's sign-in (RFC 8628 device grant) over sockets: start, approve in the console, poll, use the token.</summary>
public sealed partial class DeviceSignInTests : IClassFixture<FakeClockServer>
{
    private const string Grant = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly FakeClockServer _server;

    public DeviceSignInTests(FakeClockServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Issuer => _server.BaseAddress.ToString().TrimEnd('/');

    private async Task<JsonElement> StartAsync(HttpClient http, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["client_id"] = "skybridge-cli" };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        using var response = await http.PostAsync("/oauth/device_authorization", new FormUrlEncodedContent(form), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A signed-in person enters the code on the console page and decides, as in a browser.</summary>
    private async Task<(HttpStatusCode Status, string Page)> DecideAsync(string userName, string userCode, string decision)
    {
        using var person = await _server.SignedInClientAsync(userName);
        var form = await person.GetStringAsync("/device?user_code=" + userCode, Ct);
        Assert.Contains(userCode, form, StringComparison.Ordinal);
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        using var post = await person.PostAsync("/device", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userCode"] = userCode, ["decision"] = decision, ["__RequestVerificationToken"] = token,
        }), Ct);
        return (post.StatusCode, await post.Content.ReadAsStringAsync(Ct));
    }

    private async Task<AgentKit.Answer> PollAsync(HttpClient http, ECDsa key, string deviceCode, string? proof = null)
    {
        var nonce = (await AgentKit.PostFormAsync(http, Issuer + "/oauth/token", [], null)).Headers.GetValues("DPoP-Nonce").Single();
        return await AgentKit.PostFormAsync(http, Issuer + "/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = Grant, ["client_id"] = "skybridge-cli", ["device_code"] = deviceCode,
        }, proof ?? AgentKit.Proof(key, "POST", Issuer + "/oauth/token", nonce));
    }

    private async Task<string> ProofAsync(HttpClient http, ECDsa key) =>
        AgentKit.Proof(key, "POST", Issuer + "/oauth/token", (await AgentKit.PostFormAsync(http, Issuer + "/oauth/token", [], null)).Headers.GetValues("DPoP-Nonce").Single());

    [Fact]
    public async Task Device_ApprovedInTheConsole_GivesThePersonAKeyBoundToken_ThatAgentsCanActFor()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        using var http = _server.Client();
        using var cliKey = AgentKit.NewKey();
        var start = await StartAsync(http);
        var userCode = start.GetProperty("user_code").GetString()!;
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", userCode);
        Assert.Equal(Issuer + "/device", start.GetProperty("verification_uri").GetString());
        var deviceCode = start.GetProperty("device_code").GetString()!;

        var firstProof = await ProofAsync(http, cliKey);
        Assert.Equal("authorization_pending", (await PollAsync(http, cliKey, deviceCode, firstProof)).Error);
        var (status, page) = await DecideAsync("operator", userCode, "approve");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Approved", page, StringComparison.Ordinal);

        _server.Clock.Advance(TimeSpan.FromSeconds(5)); // the interval: polling sooner is slow_down
        // A replayed proof is refused before the approval is looked at: it cannot use up the one hand-out.
        Assert.Equal("invalid_dpop_proof", (await PollAsync(http, cliKey, deviceCode, firstProof)).Error);
        var token = await PollAsync(http, cliKey, deviceCode);
        Assert.Equal(HttpStatusCode.OK, token.Status);
        Assert.Equal(3600, (int)token.Body["expires_in"]!);
        var claims = AgentKit.Claims(token.AccessToken!);
        Assert.Equal("user:operator", (string?)claims["sub"]);
        Assert.Equal("skybridge-cli", (string?)claims["client_id"]);

        // Handed out once.
        _server.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("invalid_grant", (await PollAsync(http, cliKey, deviceCode)).Error);

        var cli = new AgentKit(_server, "skybridge-cli", cliKey);
        using var whoami = await cli.CallAsync(http, "/api/agent/whoami", token.AccessToken, cliKey);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Equal("user:operator", (await whoami.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("subject").GetString());

        // The people API takes the person's own token as that person, with their roles; an agent's token it does not.
        using var workflows = await cli.CallAsync(http, "/api/workflows", token.AccessToken, cliKey);
        Assert.Equal(HttpStatusCode.OK, workflows.StatusCode);
        Assert.Equal(["support-desk"], (await workflows.Content.ReadFromJsonAsync<JsonElement>(Ct)).EnumerateArray().Select(w => w.GetProperty("id").GetString()));
        using var forbidden = await cli.CallAsync(http, "/api/users", token.AccessToken, cliKey);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // human -> agent: the responder (acts_for user:*) acts for the operator, who holds a role on support-desk.
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        using var agentKey = AgentKit.NewKey();
        var delegated = await responder.ExchangeAsync(http, agentKey, token.AccessToken!, scope: "cases:write");
        Assert.Equal(HttpStatusCode.OK, delegated.Status);
        using var agentOnPeopleApi = await responder.CallAsync(http, "/api/workflows", delegated.AccessToken, agentKey);
        Assert.Equal(HttpStatusCode.Unauthorized, agentOnPeopleApi.StatusCode);
        var act = AgentKit.Claims(delegated.AccessToken!);
        Assert.Equal("user:operator", (string?)act["sub"]);
        Assert.Equal(responder.ClientId, (string?)act["act"]!["sub"]);

        // human -> agent -> sub-agent: the chain nests.
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        using var subKey = AgentKit.NewKey();
        var sub = await researcher.ExchangeAsync(http, subKey, delegated.AccessToken!);
        Assert.Equal(HttpStatusCode.BadRequest, sub.Status);
        Assert.Equal("invalid_scope", sub.Error); // the delegated token holds cases:write only; the researcher may only read
        var wide = await responder.ExchangeAsync(http, AgentKit.NewKey(), token.AccessToken!, scope: "cases:read");
        var chain = await researcher.ExchangeAsync(http, subKey, wide.AccessToken!);
        Assert.Equal(HttpStatusCode.OK, chain.Status);
        var nested = AgentKit.Claims(chain.AccessToken!);
        Assert.Equal("user:operator", (string?)nested["sub"]);
        Assert.Equal(researcher.ClientId, (string?)nested["act"]!["sub"]);
        Assert.Equal(responder.ClientId, (string?)nested["act"]!["act"]!["sub"]);
    }

    [Fact]
    public async Task Device_Denied_OrPolledTooFast_OrWrongClient_GetsTheRfcErrors()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var start = await StartAsync(http);
        var deviceCode = start.GetProperty("device_code").GetString()!;
        Assert.Equal("authorization_pending", (await PollAsync(http, key, deviceCode)).Error);
        Assert.Equal("slow_down", (await PollAsync(http, key, deviceCode)).Error);

        var (status, _) = await DecideAsync("reviewer", start.GetProperty("user_code").GetString()!, "deny");
        Assert.Equal(HttpStatusCode.OK, status);
        _server.Clock.Advance(TimeSpan.FromSeconds(5));
        var denied = await PollAsync(http, key, deviceCode);
        Assert.Equal("access_denied", denied.Error);
        Assert.Null(denied.AccessToken);

        using var wrongClient = await http.PostAsync("/oauth/device_authorization", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "someone" }), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongClient.StatusCode);
        Assert.Equal("invalid_client", (await wrongClient.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Console_WrongCodes_AreCountedAndLockThePersonOut()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        for (var i = 0; i < 5; i++)
        {
            var (status, page) = await DecideAsync("auditor", "BBBB-BBB" + "CDFGH"[i], "approve");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("unknown, expired or already used", page, StringComparison.Ordinal);
        }

        using var http = _server.Client();
        var start = await StartAsync(http);
        var (locked, lockedPage) = await DecideAsync("auditor", start.GetProperty("user_code").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.BadRequest, locked);
        Assert.Contains("Too many wrong codes", lockedPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_PolledAgainAfterTheInterval_IsPendingAgain_NotSlowDown()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var deviceCode = (await StartAsync(http)).GetProperty("device_code").GetString()!;
        Assert.Equal("authorization_pending", (await PollAsync(http, key, deviceCode)).Error);
        _server.Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("slow_down", (await PollAsync(http, key, deviceCode)).Error);
        _server.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("authorization_pending", (await PollAsync(http, key, deviceCode)).Error);
    }

    [Fact]
    public async Task Device_Code_IsRefused_AfterItsTenMinutesPass()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var start = await StartAsync(http);
        Assert.Equal(600, start.GetProperty("expires_in").GetInt32());
        var deviceCode = start.GetProperty("device_code").GetString()!;
        _server.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("expired_token", (await PollAsync(http, key, deviceCode)).Error);
        var (status, page) = await DecideAsync("operator", start.GetProperty("user_code").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("unknown, expired or already used", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_WrongCodesLockout_LiftsAfterFifteenMinutes()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await DecideAsync("approver", "BBBB-BBB" + "CDFGH"[i], "approve")).Status);
        }

        using var http = _server.Client();
        var (_, lockedPage) = await DecideAsync("approver", (await StartAsync(http)).GetProperty("user_code").GetString()!, "approve");
        Assert.Contains("Too many wrong codes", lockedPage, StringComparison.Ordinal);

        _server.Clock.Advance(TimeSpan.FromMinutes(14));
        var (_, stillLocked) = await DecideAsync("approver", (await StartAsync(http)).GetProperty("user_code").GetString()!, "approve");
        Assert.Contains("Too many wrong codes", stillLocked, StringComparison.Ordinal);

        _server.Clock.Advance(TimeSpan.FromMinutes(1));
        var (status, page) = await DecideAsync("approver", (await StartAsync(http)).GetProperty("user_code").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Approved", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_ScopeBeyondThePersonsRoles_CannotBeApproved()
    {
        using var clock = AgentKit.UseClock(_server.Clock);
        using var http = _server.Client();
        var start = await StartAsync(http, scope: "payments:refund");
        var (status, page) = await DecideAsync("owner", start.GetProperty("user_code").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("more than your roles allow", page, StringComparison.Ordinal);
    }
}
