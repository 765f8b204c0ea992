using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skybridge.Server;
using Skybridge.Core.Access;
using Skybridge.Server.Hosting;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.People;

/// <summary>A node with single sign-on through <see cref="TestIdentityProvider"/> and a group-to-role mapping.</summary>
public class OidcServer : RunningServer
{
    public TestIdentityProvider Provider { get; private set; } = null!;

    /// <summary>Puts the provider on another site (<c>localhost</c>) than the node (<c>127.0.0.1</c>), as a hosted one is.</summary>
    protected virtual bool CrossSite => false;

    public override async ValueTask InitializeAsync()
    {
        Provider = new TestIdentityProvider { NameItLocalhost = CrossSite };
        await Provider.StartAsync();
        await base.InitializeAsync();
    }

    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with
    {
        Oidc = new OidcOptions
        {
            Authority = Provider.Authority,
            ClientId = TestIdentityProvider.ClientId,
            ClientSecret = TestIdentityProvider.ClientSecret,
            DisplayName = "Ridgeline SSO",
            RequireHttpsMetadata = false,
            RoleMappings =
            [
                new GroupRoleMapping("support-leads", WorkflowRole.Approver, Workflow),
                new GroupRoleMapping("support-ops", WorkflowRole.Operator, Workflow),
                new GroupRoleMapping("platform-admins", WorkflowRole.Admin, "*"),
            ],
        },
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

/// <summary>People signing in through an external OpenID Connect provider, over real sockets end to end.</summary>
public sealed class OidcSignInTests : IClassFixture<OidcServer>
{
    private readonly OidcServer _server;

    public OidcSignInTests(OidcServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Follows the redirects of a provider sign-in as a browser would; returns the client and the final location.</summary>
    private async Task<(HttpClient Client, string Landing)> SignInAsync(TestIdentityProvider.PersonAtIdp person)
    {
        _server.Provider.Person = person;
        var client = _server.Client();
        var location = "/signin/oidc?returnUrl=%2Fworkflows%2Fsupport-desk";
        for (var hop = 0; hop < 6; hop++)
        {
            using var response = await client.GetAsync(location, Ct);
            if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther))
            {
                return (client, location);
            }

            location = response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.ToString() : response.Headers.Location.OriginalString;
            if (!location.StartsWith(_server.Provider.Authority, StringComparison.Ordinal) && !location.StartsWith("http", StringComparison.Ordinal))
            {
                // Back on Skybridge with a relative path: the sign-in is done.
                if (!location.StartsWith("/signin-oidc", StringComparison.Ordinal))
                {
                    return (client, location);
                }
            }
        }

        throw new InvalidOperationException("Too many redirects.");
    }

    [Fact]
    public async Task SignIn_ThroughTheProvider_LandsWithTheMappedRoles()
    {
        var (client, landing) = await SignInAsync(new("u-2001", "dana", "Dana Weber", ["support-leads", "unrelated-group"]));
        using (client)
        {
            Assert.Equal("/workflows/support-desk", landing);
            var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
            Assert.Equal("sso.dana", me.GetProperty("userName").GetString());
            Assert.Equal("Dana Weber", me.GetProperty("displayName").GetString());
            var roles = me.GetProperty("roles").EnumerateArray().Select(r => $"{r.GetProperty("role").GetString()}@{r.GetProperty("workflowId").GetString()}").ToList();
            Assert.Equal(["approver@support-desk"], roles);

            // The approver role reads the workflow but may not publish: the same access checks as for local accounts.
            using var read = await client.GetAsync("/api/workflows/support-desk", Ct);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var publish = await client.PostAsync("/api/workflows/support-desk/rollback", null, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, publish.StatusCode);
        }

        var events = await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct);
        Assert.Contains(events, e => e.Type == "auth.signed_in" && e.Body.Contains("sso.dana", StringComparison.Ordinal) && e.Body.Contains("signed_in_oidc", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Type == "role.granted" && e.Body.Contains("oidc-group-mapping", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NextSignIn_DropsRolesTheGroupsNoLongerGive_AndKeepsHandGrantedOnes()
    {
        var accounts = (Skybridge.Application.Accounts.AccountService)_server.Services.GetService(typeof(Skybridge.Application.Accounts.AccountService))!;
        var (first, _) = await SignInAsync(new("u-2002", "jonas", "Jonas Berg", ["support-leads", "support-ops"]));
        first.Dispose();
        // By hand: reviewer (no mapping names it) and operator on another workflow (a pair no mapping makes for him).
        await accounts.GrantRoleAsync("admin", "sso.jonas", RunningServer.Workflow, WorkflowRole.Reviewer, Ct);
        await accounts.GrantRoleAsync("admin", "sso.jonas", RunningServer.OtherWorkflow, WorkflowRole.Operator, Ct);

        var (second, _) = await SignInAsync(new("u-2002", "jonas", "Jonas Berg", ["support-ops"]));
        using (second)
        {
            var me = await second.GetFromJsonAsync<JsonElement>("/api/me", Ct);
            var roles = me.GetProperty("roles").EnumerateArray().Select(r => r.GetProperty("role").GetString() + "@" + r.GetProperty("workflowId").GetString()).Order().ToList();
            Assert.Equal([$"operator@{RunningServer.OtherWorkflow}", "operator@support-desk", "reviewer@support-desk"], roles);
        }

        // A hand grant on a pair the mapping also names stays when the group goes.
        var (third, _) = await SignInAsync(new("u-2003b", "lea", "Lea Roth", []));
        third.Dispose();
        await accounts.GrantRoleAsync("admin", "sso.lea", RunningServer.Workflow, WorkflowRole.Approver, Ct);
        var (fourth, _) = await SignInAsync(new("u-2003b", "lea", "Lea Roth", ["support-leads"]));
        fourth.Dispose();
        var (fifth, _) = await SignInAsync(new("u-2003b", "lea", "Lea Roth", []));
        using (fifth)
        {
            var me = await fifth.GetFromJsonAsync<JsonElement>("/api/me", Ct);
            Assert.Equal(["approver"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetProperty("role").GetString()));
        }
    }

    [Fact]
    public async Task SignIn_CopiesTheGroupsClaimIntoMemberships_SoTheHaltGroupMayHalt_AndTheNextSignInWithoutItRemovesIt()
    {
        var (first, _) = await SignInAsync(new("u-2004", "olu", "Olu Ade", ["support-ops", "/staff/night"]));
        using (first)
        {
            first.DefaultRequestHeaders.Add("Origin", _server.BaseAddress.GetLeftPart(UriPartial.Authority));
            var membership = Assert.Single(await _server.Store.ListGroupsOfUserAsync("sso.olu", Ct));
            Assert.Equal("support-ops", membership.GroupName);
            Assert.StartsWith("http", membership.Source, StringComparison.Ordinal);

            // The sample's halt authority is group:support-ops: the group, now stored, lets them press the switch.
            using var halted = await first.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/halt", new { reason = "sso ops" }, Ct);
            Assert.Equal(HttpStatusCode.OK, halted.StatusCode);
            using var resumed = await first.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/resume", new { reason = "sso ops" }, Ct);
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);

            // The provider drops the group; a new sign-in syncs it away (the mapped operator role goes with it), and
            // the older session can no longer halt either.
            var (second, _) = await SignInAsync(new("u-2004", "olu", "Olu Ade", []));
            second.Dispose();
            Assert.Empty(await _server.Store.ListGroupsOfUserAsync("sso.olu", Ct));
            using var refused = await first.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/halt", new { reason = "sso ops" }, Ct);
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
            Assert.Empty(await _server.Store.ListHaltsAsync(Ct));
        }

        var events = await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct);
        Assert.Contains(events, e => e.Type == "group.member_added" && e.Body.Contains("sso.olu", StringComparison.Ordinal) && e.Body.Contains("oidc:", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Type == "group.member_removed" && e.Body.Contains("sso.olu", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("aud")]
    [InlineData("exp")]
    [InlineData("nonce")]
    [InlineData("iss")]
    public async Task ABadIdToken_SignsNobodyIn_AndIsRecorded(string spoil)
    {
        var before = (await _server.Store.GetLedgerHeadAsync(Ct)).Size;
        _server.Provider.BendIdToken = claims =>
        {
            switch (spoil)
            {
                case "aud": claims["aud"] = "another-client"; break;
                case "exp": claims["exp"] = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(); break;
                case "nonce": claims["nonce"] = "replayed-nonce"; break;
                default: claims["iss"] = "https://impostor.example"; break;
            }
        };
        try
        {
            var (client, landing) = await SignInAsync(new("u-2003", "mallory", "Mallory", ["platform-admins"]));
            using (client)
            {
                Assert.Equal("/signin?error=sso", landing);
                using var me = await client.GetAsync("/api/me", Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
            }
        }
        finally
        {
            _server.Provider.BendIdToken = null;
        }

        var events = await _server.Store.ReadLedgerEventsAsync(before, 1000, Ct);
        Assert.Contains(events, e => e.Type == "auth.sign_in_refused" && e.Body.Contains("oidc_failed", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Body.Contains("sso.mallory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tampered state")]
    [InlineData("no correlation cookie")]
    public async Task Callback_ThatDoesNotBelongToThisBrowsersSignIn_IsRefused(string attack)
    {
        _server.Provider.Person = new("u-2010", "eve", "Eve", ["platform-admins"]);
        using var browser = _server.Client();
        using var start = await browser.GetAsync("/signin/oidc", Ct);
        using var authorize = await browser.GetAsync(start.Headers.Location, Ct);
        var callback = authorize.Headers.Location!.ToString();
        var before = (await _server.Store.GetLedgerHeadAsync(Ct)).Size;

        // Either the state was changed on the way back, or the callback arrives in another browser (a login CSRF).
        using var other = _server.Client();
        var (client, url) = attack == "tampered state"
            ? (browser, System.Text.RegularExpressions.Regex.Replace(callback, "state=[^&]+", "state=forged-state"))
            : (other, callback);
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal("/signin?error=sso", response.Headers.Location?.OriginalString);
        using var me = await client.GetAsync("/api/me", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        var events = await _server.Store.ReadLedgerEventsAsync(before, 1000, Ct);
        Assert.Contains(events, e => e.Type == "auth.sign_in_refused" && e.Body.Contains("oidc_failed", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Body.Contains("sso.eve", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignInPage_OffersSingleSignOn_AndLocalAccountsCannotTakeTheReservedPrefix()
    {
        using var anonymous = _server.Client();
        var page = await anonymous.GetStringAsync("/signin", Ct);
        Assert.Contains("Sign in with Ridgeline SSO", page, StringComparison.Ordinal);

        using var admin = await _server.SignedInClientAsync("admin");
        using var create = await admin.PostAsJsonAsync("/api/users", new { userName = "sso.dana", password = RunningServer.Password }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
    }

    [Fact]
    public void Options_ReportEveryProblemAtOnce()
    {
        var problems = new OidcOptions { Authority = "http://idp.example", ClientId = " ", GroupsClaim = "" }.Problems();
        Assert.Equal(3, problems.Count);
        Assert.Null(GroupRoleMapping.TryParse("leads=approver", out var why));
        Assert.Contains("approver@WORKFLOW", why, StringComparison.Ordinal);
        Assert.Equal(new GroupRoleMapping("ops", WorkflowRole.Admin, "*"), GroupRoleMapping.TryParse("ops=admin", out _));
    }
}
