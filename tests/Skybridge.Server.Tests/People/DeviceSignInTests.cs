using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
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

    /// <summary>A new account holding <paramref name="grants"/>: its own name, so no other test's wrong codes lock it out.</summary>
    private async Task<string> PersonAsync(params (WorkflowRole Role, string Workflow)[] grants)
    {
        var accounts = _server.Services.GetRequiredService<AccountService>();
        var name = "person-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(CreateUserOutcome.Created, await accounts.CreateUserAsync("test", name, name, RunningServer.Password, Ct));
        foreach (var (role, workflow) in grants)
        {
            await accounts.GrantRoleAsync("test", name, AccessRules.GrantedOn(role, workflow), role, Ct);
        }

        return name;
    }

    /// <summary>The whole sign-in: start (with a scope, or the default), the person approves, the CLI polls once.</summary>
    private async Task<AgentKit.Answer> SignInAsync(HttpClient http, ECDsa key, string userName, string? scope = null)
    {
        var start = await StartAsync(http, scope);
        var (status, page) = await DecideAsync(userName, start.GetProperty("user_code").GetString()!, "approve");
        Assert.True(status == HttpStatusCode.OK, page);
        var token = await PollAsync(http, key, start.GetProperty("device_code").GetString()!);
        Assert.True(token.Status == HttpStatusCode.OK, token.Body.ToJsonString());
        return token;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? body, string token, ECDsa key)
    {
        var url = Issuer + path;
        using var request = new HttpRequestMessage(method, url) { Content = body };
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", AgentKit.Proof(key, method.Method, url, accessToken: token));
        return await http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Device_Auditor_GetsWhatTheRoleAllows_NeverCasesWrite()
    {
        using var clock = AgentKit.UseClock(_server.Clock); // proofs on the node's clock
        var auditor = await PersonAsync((WorkflowRole.Auditor, RunningServer.Workflow));
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await SignInAsync(http, key, auditor);
        Assert.Equal("approvals:read cases:read ledger:read reviews:read workflows:read", (string?)token.Body["scope"]);
        Assert.Equal("approvals:read cases:read ledger:read reviews:read workflows:read", (string?)AgentKit.Claims(token.AccessToken!)["scope"]);

        // Asking for it explicitly does not get it either.
        var start = await StartAsync(http, scope: "cases:write");
        var (status, page) = await DecideAsync(auditor, start.GetProperty("user_code").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("more than your roles allow", page, StringComparison.Ordinal);

        // And the case API refuses the token it did get.
        using var submit = await SendAsync(http, HttpMethod.Post, "/api/cases", JsonContent.Create(new { workflow = RunningServer.Workflow, text = "Where is my parcel?" }), token.AccessToken!, key);
        Assert.Equal(HttpStatusCode.Forbidden, submit.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", submit.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_PersonWithCasesWriteFromAnotherWorkflow_IsRefusedByTheRoleTable_OnTheWorkflowTheyAudit()
    {
        using var clock = AgentKit.UseClock(_server.Clock); // proofs on the node's clock
        // Operator on billing-disputes (so the token holds cases:write), auditor on support-desk.
        var person = await PersonAsync((WorkflowRole.Auditor, RunningServer.Workflow), (WorkflowRole.Operator, RunningServer.OtherWorkflow));
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await SignInAsync(http, key, person);
        Assert.Equal("approvals:read cases:read cases:write ledger:read reviews:read workflows:halt workflows:read", (string?)token.Body["scope"]);

        using var audited = await SendAsync(http, HttpMethod.Post, "/api/cases", JsonContent.Create(new { workflow = RunningServer.Workflow, text = "Where is my parcel?" }), token.AccessToken!, key);
        Assert.Equal(HttpStatusCode.Forbidden, audited.StatusCode);
        Assert.Equal("forbidden", (await audited.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        using var operated = await SendAsync(http, HttpMethod.Post, "/api/cases", JsonContent.Create(new { workflow = RunningServer.OtherWorkflow, text = "Where is my parcel?" }), token.AccessToken!, key);
        Assert.Equal(HttpStatusCode.Created, operated.StatusCode);
        var caseId = (await operated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("caseId").GetString();
        using var read = await SendAsync(http, HttpMethod.Get, "/api/cases/" + caseId, null, token.AccessToken!, key);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        // An agent that acts for any person (acts_for user:*) acts only for people who may submit cases on its workflow.
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var refused = await responder.ExchangeAsync(http, AgentKit.NewKey(), token.AccessToken!, scope: "cases:write");
        Assert.Equal("unauthorized_client", refused.Error);
        var billingResponder = await AgentKit.RegisterAsync(_server, "responder", workflow: RunningServer.OtherWorkflow);
        var allowed = await billingResponder.ExchangeAsync(http, AgentKit.NewKey(), token.AccessToken!, scope: "cases:write");
        Assert.True(allowed.Status == HttpStatusCode.OK, allowed.Body.ToJsonString());
    }

    [Fact]
    public async Task Device_NarrowScope_StaysNarrow_AndThePeopleApiRefusesWhatItDoesNotCover()
    {
        using var clock = AgentKit.UseClock(_server.Clock); // proofs on the node's clock
        var admin = await PersonAsync((WorkflowRole.Admin, AccessRules.AllWorkflows));
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await SignInAsync(http, key, admin, scope: "cases:read");
        Assert.Equal("cases:read", (string?)token.Body["scope"]);
        var usersBefore = (await _server.Store.ListUsersAsync(Ct)).Count;

        using var create = await SendAsync(http, HttpMethod.Post, "/api/users", JsonContent.Create(new { userName = "made-" + Guid.NewGuid().ToString("N")[..8], password = RunningServer.Password }), token.AccessToken!, key);
        using var halt = await SendAsync(http, HttpMethod.Post, $"/api/workflows/{RunningServer.Workflow}/halt", JsonContent.Create(new { reason = "narrow token" }), token.AccessToken!, key);
        using var publish = await SendAsync(http, HttpMethod.Post, $"/api/workflows/{RunningServer.Workflow}/versions", new StringContent(await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct), System.Text.Encoding.UTF8, "application/yaml"), token.AccessToken!, key);
        foreach (var (refused, scope) in new[] { (create, "people:manage"), (halt, "workflows:halt"), (publish, "workflows:write") })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("insufficient_scope", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
            Assert.Contains($"scope=\"{scope}\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(usersBefore, (await _server.Store.ListUsersAsync(Ct)).Count);
        Assert.Empty(await _server.Store.ListHaltsAsync(Ct));

        // Signed in with the session cookie, the same person's roles alone decide.
        using var console = await _server.SignedInClientAsync(admin);
        using var users = await console.GetAsync("/api/users", Ct);
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
    }

    [Fact]
    public async Task PersonToken_OpensNoConsolePage_SoANarrowTokenCannotApproveAWiderOne()
    {
        using var clock = AgentKit.UseClock(_server.Clock); // proofs on the node's clock
        var admin = await PersonAsync((WorkflowRole.Admin, AccessRules.AllWorkflows));
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await SignInAsync(http, key, admin, scope: "cases:read");

        // The console is for the browser session: with the token alone, /device (where a code is approved, with
        // everything the roles allow) and the workflow pages send the caller to the sign-in form.
        foreach (var path in new[] { "/device", $"/workflows/{RunningServer.Workflow}" })
        {
            using var page = await SendAsync(http, HttpMethod.Get, path, null, token.AccessToken!, key);
            Assert.True(page.StatusCode == HttpStatusCode.Redirect, $"{path}: {(int)page.StatusCode}");
            Assert.Contains("/signin", page.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
    }
}
