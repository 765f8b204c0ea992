using System.Text.Json;
using Skybridge.Application.Accounts;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Accounts;

/// <summary>Group memberships by hand and from single sign-on, each change with its ledger event.</summary>
public sealed class GroupServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Authority = "https://login.example.com/realms/ridgeline";

    private static async Task<(TestStore Test, GroupService Groups)> StartAsync(params string[] users)
    {
        var test = await TestStore.OpenAsync();
        var accounts = new AccountService(test.Store, TimeProvider.System, test.Ledger);
        foreach (var user in users)
        {
            // Single sign-on accounts (sso.NAME) are made by a first sign-in only.
            if (user.StartsWith(AccountService.ExternalPrefix, StringComparison.Ordinal))
            {
                await accounts.SignInExternalAsync(user, user, Authority, Ct);
            }
            else
            {
                await accounts.CreateUserAsync("seed", user, user, "correct horse battery staple", Ct);
            }
        }

        return (test, new GroupService(test.Store, test.Ledger, TimeProvider.System));
    }

    private static async Task<List<JsonElement>> GroupEventsAsync(TestStore test) =>
        [.. (await test.Store.ReadLedgerEventsAsync(0, 1000, Ct))
            .Where(e => e.Type is LedgerEventTypes.GroupMemberAdded or LedgerEventTypes.GroupMemberRemoved)
            .Select(e => JsonDocument.Parse(e.Body).RootElement.Clone())];

    [Fact]
    public async Task AddAndRemove_ChangeTheGroupsOfThePerson_EachWithItsLedgerEvent()
    {
        var (test, groups) = await StartAsync("dana");
        await using var _ = test;

        Assert.Equal(GroupAddOutcome.Added, await groups.AddAsync("maria", "support-leads", "DANA", Ct));
        Assert.Equal(GroupAddOutcome.AlreadyMember, await groups.AddAsync("maria", "support-leads", "dana", Ct));
        Assert.Equal(GroupAddOutcome.UnknownUser, await groups.AddAsync("maria", "support-leads", "ghost", Ct));
        Assert.Equal(GroupAddOutcome.InvalidGroupName, await groups.AddAsync("maria", "/staff/leads", "dana", Ct));
        Assert.Equal(["support-leads"], await groups.GroupsOfAsync("dana", Ct));
        var listed = Assert.Single(await groups.ListAsync("support-leads", Ct));
        Assert.Equal(("dana", GroupMembership.LocalSource, "maria"), (listed.UserName, listed.Source, listed.AddedBy));

        Assert.Equal(GroupRemoveOutcome.Removed, await groups.RemoveAsync("jonas", "support-leads", "dana", Ct));
        Assert.Equal(GroupRemoveOutcome.NotMember, await groups.RemoveAsync("jonas", "support-leads", "dana", Ct));
        Assert.Empty(await groups.GroupsOfAsync("dana", Ct));

        // Only the two changes that happened were recorded, with who, the group, the user and the source.
        var events = await GroupEventsAsync(test);
        Assert.Equal(2, events.Count);
        Assert.Equal("group.member_added", events[0].GetProperty("type").GetString());
        Assert.Contains("\"support-leads\"", events[0].GetRawText(), StringComparison.Ordinal);
        Assert.Contains("\"maria\"", events[0].GetRawText(), StringComparison.Ordinal);
        Assert.Contains("\"local\"", events[0].GetRawText(), StringComparison.Ordinal);
        Assert.Equal("group.member_removed", events[1].GetProperty("type").GetString());
        Assert.Contains("\"jonas\"", events[1].GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SyncExternal_FollowsTheProvidersGroups_AndLeavesMembershipsAddedByHand()
    {
        var (test, groups) = await StartAsync("sso.dana");
        await using var _ = test;
        await groups.AddAsync("maria", "support-qa", "sso.dana", Ct);

        await groups.SyncExternalAsync(Authority, "sso.dana", ["support-leads", "support-ops", "/not/a/manifest/name"], Ct);
        Assert.Equal(["support-leads", "support-ops", "support-qa"], await groups.GroupsOfAsync("sso.dana", Ct));
        Assert.All((await groups.ListAsync(null, Ct)).Where(m => m.GroupName != "support-qa"), m => Assert.Equal(Authority, m.Source));

        // The provider drops support-leads and support-qa: the first goes, the one added by hand stays.
        await groups.SyncExternalAsync(Authority, "sso.dana", ["support-ops"], Ct);
        Assert.Equal(["support-ops", "support-qa"], await groups.GroupsOfAsync("sso.dana", Ct));

        // Nothing changed: nothing recorded.
        var before = (await GroupEventsAsync(test)).Count;
        await groups.SyncExternalAsync(Authority, "sso.dana", ["support-ops"], Ct);
        Assert.Equal(before, (await GroupEventsAsync(test)).Count);
        Assert.Equal(4, before); // support-qa by hand, two by the provider, one removed by the provider
    }
}
