namespace Skybridge.Storage.Tests.Contract;

/// <summary>Group memberships and secret changes, written only with their ledger events, on both databases.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset M0 = new DateTimeOffset(2026, 12, 2, 9, 30, 0, TimeSpan.Zero).AddTicks(120);

    private Task AddPersonAsync(string userName) => Store.CreateUserAsync(new NewUser { UserName = userName, DisplayName = userName, PasswordHash = "hash", CreatedAt = M0 }, Ct);

    [Fact]
    public async Task Groups_AddedWithTheirEvent_AreListedByGroupAndByPerson_WithSourceAndWhoAndWhen()
    {
        await AddPersonAsync("Dana");
        await AddPersonAsync("lee");
        await RecordAsync(Store, "groups-1",
            new GroupMemberAddedRow(new GroupMembership("support-leads", "DANA", GroupMembership.LocalSource, M0, "maria")),
            new GroupMemberAddedRow(new GroupMembership("support-leads", "lee", "https://login.example.com", M0.AddMinutes(1), "oidc:https://login.example.com")),
            new GroupMemberAddedRow(new GroupMembership("support-ops", "dana", GroupMembership.LocalSource, M0.AddMinutes(2), "maria")));

        Assert.Equal(
            [
                new GroupMembership("support-leads", "Dana", GroupMembership.LocalSource, M0, "maria"),
                new GroupMembership("support-leads", "lee", "https://login.example.com", M0.AddMinutes(1), "oidc:https://login.example.com"),
            ],
            await Store.ListGroupMembershipsAsync("support-leads", Ct));
        Assert.Equal(3, (await Store.ListGroupMembershipsAsync(null, Ct)).Count);
        Assert.Equal(["support-leads", "support-ops"], (await Store.ListGroupsOfUserAsync("DANA", Ct)).Select(m => m.GroupName));
        Assert.Empty(await Store.ListGroupMembershipsAsync("Support-Leads", Ct)); // group names are exact, as manifests write them
        Assert.Empty(await Store.ListGroupsOfUserAsync("nobody", Ct));
    }

    [Fact]
    public async Task Groups_AUnknownPersonOrAPresentMember_RollsBackTheEventsAndEveryRowWithIt()
    {
        await AddPersonAsync("dana");
        await RecordAsync(Store, "groups-1", new GroupMemberAddedRow(new GroupMembership("support-leads", "dana", GroupMembership.LocalSource, M0, "maria")));
        var size = (await Store.GetLedgerHeadAsync(Ct)).Size;

        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "groups-2",
            new GroupMemberAddedRow(new GroupMembership("support-ops", "dana", GroupMembership.LocalSource, M0, "maria")),
            new GroupMemberAddedRow(new GroupMembership("support-leads", "dana", GroupMembership.LocalSource, M0, "maria"))));
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "groups-3",
            new GroupMemberAddedRow(new GroupMembership("support-ops", "ghost", GroupMembership.LocalSource, M0, "maria"))));

        Assert.Equal(size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Equal(["support-leads"], (await Store.ListGroupsOfUserAsync("dana", Ct)).Select(m => m.GroupName));
    }

    [Fact]
    public async Task Groups_Removal_TakesOnlyTheMembershipNamed_AndOfTheSourceNamed()
    {
        await AddPersonAsync("dana");
        await RecordAsync(Store, "groups-1",
            new GroupMemberAddedRow(new GroupMembership("support-leads", "dana", "https://login.example.com", M0, "oidc:https://login.example.com")),
            new GroupMemberAddedRow(new GroupMembership("support-qa", "dana", GroupMembership.LocalSource, M0, "maria")));

        // A provider's sync removes only what the provider added.
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "groups-2", new GroupMemberRemovedRow("support-qa", "dana", "https://login.example.com")));
        await RecordAsync(Store, "groups-3", new GroupMemberRemovedRow("support-leads", "DANA", "https://login.example.com"));
        Assert.Equal(["support-qa"], (await Store.ListGroupsOfUserAsync("dana", Ct)).Select(m => m.GroupName));

        await RecordAsync(Store, "groups-4", new GroupMemberRemovedRow("support-qa", "dana"));
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "groups-5", new GroupMemberRemovedRow("support-qa", "dana")));
        Assert.Empty(await Store.ListGroupsOfUserAsync("dana", Ct));
    }

    [Fact]
    public async Task Secrets_SetAndRemovedWithTheirEvent_OrNotAtAll()
    {
        await RecordAsync(Store, "secret-1", new SecretSetRow(new StoredSecret("helpdesk", "bearer", "aesgcm-v1:first", "maria", M0)));
        await RecordAsync(Store, "secret-2", new SecretSetRow(new StoredSecret("helpdesk", "basic", "aesgcm-v1:second", "jonas", M0.AddHours(1))));
        Assert.Equal(new StoredSecret("helpdesk", "basic", "aesgcm-v1:second", "jonas", M0.AddHours(1)), await Store.GetSecretAsync("helpdesk", Ct));

        await RecordAsync(Store, "secret-3", new SecretRemovedRow("helpdesk"));
        Assert.Null(await Store.GetSecretAsync("helpdesk", Ct));
        var size = (await Store.GetLedgerHeadAsync(Ct)).Size;
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "secret-4", new SecretRemovedRow("helpdesk")));
        Assert.Equal(size, (await Store.GetLedgerHeadAsync(Ct)).Size);
    }
}
