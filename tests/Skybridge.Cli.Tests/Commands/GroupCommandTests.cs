namespace Skybridge.Cli.Tests.Commands;

public sealed class GroupCommandTests
{
    private const string Password = "a long enough passphrase";

    [Fact]
    public async Task AddListRemove_KeepsMemberships_WithWhoAndTheSource_AndRecordsEachChange()
    {
        var data = CliRun.NewDataFolder();
        Assert.Equal(0, (await CliRun.RunWithInputAsync(Password + "\n", "user", "add", "dana", "--password-stdin", "--data", data)).ExitCode);

        var add = await CliRun.RunAsync("group", "add", "support-leads", "dana", "--by", "maria", "--data", data);
        Assert.True(add.ExitCode == 0, add.Output + add.Error);
        Assert.Contains("Added dana to support-leads", add.Output, StringComparison.Ordinal);
        Assert.Contains("already in support-leads", (await CliRun.RunAsync("group", "add", "support-leads", "dana", "--data", data)).Output, StringComparison.Ordinal);

        var list = await CliRun.RunAsync("group", "list", "support-leads", "--data", data);
        Assert.Contains("dana", list.Output, StringComparison.Ordinal);
        Assert.Contains("local", list.Output, StringComparison.Ordinal);
        Assert.Contains("maria", list.Output, StringComparison.Ordinal);

        var remove = await CliRun.RunAsync("group", "remove", "support-leads", "dana", "--by", "jonas", "--data", data);
        Assert.True(remove.ExitCode == 0, remove.Output + remove.Error);
        Assert.Contains("Removed dana from support-leads", remove.Output, StringComparison.Ordinal);
        Assert.Contains("Nobody is in support-leads", (await CliRun.RunAsync("group", "list", "support-leads", "--data", data)).Output, StringComparison.Ordinal);

        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        var types = (await store.ReadLedgerEventsAsync(0, 1000, TestContext.Current.CancellationToken)).Select(e => e.Type).Where(t => t.StartsWith("group.", StringComparison.Ordinal));
        Assert.Equal(["group.member_added", "group.member_removed"], types);
    }

    [Fact]
    public async Task Add_UnknownUserOrMalformedGroup_IsRefused_AndChangesNothing()
    {
        var data = CliRun.NewDataFolder();
        var unknown = await CliRun.RunAsync("group", "add", "support-leads", "ghost", "--data", data);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No account named 'ghost'", unknown.Error, StringComparison.Ordinal);

        var malformed = await CliRun.RunAsync("group", "add", "group:support leads", "ghost", "--data", data);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("is not a group name", malformed.Error, StringComparison.Ordinal);
        Assert.Contains("Nobody is in any group", (await CliRun.RunAsync("group", "list", "--data", data)).Output, StringComparison.Ordinal);
    }
}
