using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.People;

/// <summary>
/// Groups over HTTP: an administrator puts a local account in the sample's halt group, the person may halt at once,
/// and after the removal the same session is refused at its next request, without signing out.
/// </summary>
public sealed class GroupMembershipTests : IAsyncLifetime
{
    private readonly RunningServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static string Url(string verb) => $"/api/workflows/{RunningServer.Workflow}/{verb}";

    [Fact]
    public async Task Halt_ByALocalAccountInTheHaltGroup_IsAllowed_AndAfterRemoval_TheSameSessionGets403()
    {
        // night.ops may use the switch (operator role) but the manifest names only group:support-ops and two people.
        var accounts = _server.Services.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("seed", "night.ops", "Night ops", RunningServer.Password, Ct);
        await accounts.GrantRoleAsync("seed", "night.ops", RunningServer.Workflow, WorkflowRole.Operator, Ct);
        using var nightOps = await _server.SignedInClientAsync("night.ops");
        using var admin = await _server.SignedInClientAsync("admin");

        using var before = await nightOps.PostAsJsonAsync(Url("halt"), new { reason = "looks odd" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);

        using var added = await admin.PostAsJsonAsync("/api/groups/support-ops/members", new { userName = "night.ops" }, Ct);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var members = await admin.GetFromJsonAsync<JsonElement>("/api/groups?name=support-ops", Ct);
        Assert.Contains(members.EnumerateArray(), m => m.GetProperty("userName").GetString() == "night.ops"
            && m.GetProperty("source").GetString() == "local" && m.GetProperty("addedBy").GetString() == "admin");

        // The same session, signed in before it was added: the store decides, not the cookie.
        Assert.True((await nightOps.GetFromJsonAsync<JsonElement>(Url("halt"), Ct)).GetProperty("mayPress").GetBoolean());
        using var halted = await nightOps.PostAsJsonAsync(Url("halt"), new { reason = "refunds misfiring" }, Ct);
        Assert.Equal(HttpStatusCode.OK, halted.StatusCode);
        using var resumed = await nightOps.PostAsJsonAsync(Url("resume"), new { reason = "fixed" }, Ct);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);

        using var removed = await admin.DeleteAsync("/api/groups/support-ops/members/night.ops", Ct);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        using var after = await nightOps.PostAsJsonAsync(Url("halt"), new { reason = "once more" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.Equal("not_halt_authority", (await after.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.False((await nightOps.GetFromJsonAsync<JsonElement>(Url("halt"), Ct)).GetProperty("mayPress").GetBoolean());
        Assert.Empty(await _server.Store.ListHaltsAsync(Ct));

        var types = (await _server.Store.ReadLedgerEventsAsync(0, 10_000, Ct)).Select(e => e.Type).ToList();
        Assert.Single(types, t => t == "group.member_removed");
        Assert.Equal(3, types.Count(t => t == "group.member_added")); // the fixture's approver and operator, then night.ops
    }

    [Fact]
    public async Task Groups_AreAdministeredByAdministratorsOnly_AndNamesAreCheckedLikeManifestNames()
    {
        using var owner = await _server.SignedInClientAsync("owner");
        using var refused = await owner.PostAsJsonAsync("/api/groups/support-ops/members", new { userName = "owner" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var admin = await _server.SignedInClientAsync("admin");
        using var badName = await admin.PostAsJsonAsync("/api/groups/staff%20leads/members", new { userName = "owner" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var unknown = await admin.PostAsJsonAsync("/api/groups/support-ops/members", new { userName = "ghost" }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var notMember = await admin.DeleteAsync("/api/groups/support-ops/members/owner", Ct);
        Assert.Equal(HttpStatusCode.NotFound, notMember.StatusCode);
        Assert.Empty(await _server.Services.GetRequiredService<IPeopleDirectory>().GroupsOfAsync("owner", Ct));
    }
}
