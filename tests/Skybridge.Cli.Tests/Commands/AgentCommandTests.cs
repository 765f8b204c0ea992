using System.Text.Json;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

public sealed class AgentCommandTests
{
    private static async Task<string> PublishedAsync()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez", "--data", data);
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);
        return data;
    }

    [Fact]
    public async Task Register_WritesThePrivateKeyHereOnly_AndRegistersThePublicHalf()
    {
        var data = await PublishedAsync();
        var file = Path.Combine(data, "responder-1.agent.json");
        var run = await CliRun.RunAsync("agent", "register", "support-desk", "responder-1", "--role", "responder", "--server", "https://skybridge.example", "--out", file, "--data", data);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("support-desk/responder-1", run.Output, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var credentials = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        var root = credentials.RootElement;
        Assert.Equal("support-desk/responder-1", root.GetProperty("client_id").GetString());
        Assert.Equal("https://skybridge.example/oauth/token", root.GetProperty("token_endpoint").GetString());
        Assert.Equal("cases:read cases:write actions:propose", root.GetProperty("scope").GetString());
        var d = root.GetProperty("key").GetProperty("d").GetString()!;
        Assert.DoesNotContain(d, run.Output + run.Error, StringComparison.Ordinal);

        await using var store = SkybridgeStores.OpenSqlite(data);
        var agent = await store.GetAgentAsync("support-desk/responder-1", TestContext.Current.CancellationToken);
        Assert.NotNull(agent);
        Assert.Equal(root.GetProperty("key").GetProperty("kid").GetString(), Assert.Single(agent.Keys).KeyId);
        Assert.DoesNotContain("\"d\"", agent.Keys[0].PublicJwk, StringComparison.Ordinal);

        var list = await CliRun.RunAsync("agent", "list", "support-desk", "--data", data);
        Assert.Contains("support-desk/responder-1", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_UnknownRoleOrExistingFile_ChangesNothing()
    {
        var data = await PublishedAsync();
        var file = Path.Combine(data, "x.agent.json");
        var wrongRole = await CliRun.RunAsync("agent", "register", "support-desk", "x", "--role", "responderr", "--out", file, "--data", data);
        Assert.Equal(2, wrongRole.ExitCode);
        Assert.Contains("no agent role 'responderr'", wrongRole.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(file));

        await File.WriteAllTextAsync(file, "keep me", TestContext.Current.CancellationToken);
        var exists = await CliRun.RunAsync("agent", "register", "support-desk", "x", "--role", "responder", "--out", file, "--data", data);
        Assert.Equal(2, exists.ExitCode);
        Assert.Equal("keep me", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        var list = await CliRun.RunAsync("agent", "list", "--data", data);
        Assert.DoesNotContain("support-desk/x", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterAndRotate_IntoAFolderThatDoesNotExist_ExitTwo_SayWhy_AndChangeNothing()
    {
        var data = await PublishedAsync();
        var missing = Path.Combine(data, "no-such-folder", "x.agent.json");

        var register = await CliRun.RunAsync("agent", "register", "support-desk", "x", "--role", "responder", "--out", missing, "--data", data);

        Assert.Equal(2, register.ExitCode);
        Assert.Contains($"The credentials cannot be written to {missing}: the folder {Path.GetDirectoryName(missing)} does not exist. Nothing was registered.", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("support-desk/x", (await CliRun.RunAsync("agent", "list", "--data", data)).Output, StringComparison.Ordinal);

        var first = Path.Combine(data, "r1.agent.json");
        Assert.Equal(0, (await CliRun.RunAsync("agent", "register", "support-desk", "r1", "--role", "responder", "--out", first, "--data", data)).ExitCode);
        var rotate = await CliRun.RunAsync("agent", "rotate-key", "support-desk/r1", "--out", Path.Combine(data, "no-such-folder", "r1.agent.json"), "--data", data);

        Assert.Equal(2, rotate.ExitCode);
        Assert.Contains("The key was not changed.", rotate.Error, StringComparison.Ordinal);
        await using var store = SkybridgeStores.OpenSqlite(data);
        var agent = await store.GetAgentAsync("support-desk/r1", TestContext.Current.CancellationToken);
        using var credentials = JsonDocument.Parse(await File.ReadAllTextAsync(first, TestContext.Current.CancellationToken));
        Assert.Equal(credentials.RootElement.GetProperty("key").GetProperty("kid").GetString(), Assert.Single(agent!.Keys).KeyId);
    }

    [Fact]
    public async Task DisableRotateAndHalt_AreRecordedInTheLedger()
    {
        var data = await PublishedAsync();
        Assert.Equal(0, (await CliRun.RunAsync("agent", "register", "support-desk", "r1", "--role", "responder", "--out", Path.Combine(data, "r1.json"), "--data", data)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("agent", "rotate-key", "support-desk/r1", "--out", Path.Combine(data, "r1-new.json"), "--data", data)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("agent", "disable", "support-desk/r1", "--data", data)).ExitCode);
        var halt = await CliRun.RunAsync("halt", "support-desk", "--reason", "refunds misfiring", "--data", data);
        Assert.True(halt.ExitCode == 0, halt.Error);
        Assert.Contains("halted", halt.Output, StringComparison.Ordinal);

        await using var store = SkybridgeStores.OpenSqlite(data);
        var types = (await store.ReadLedgerEventsAsync(0, 1000, TestContext.Current.CancellationToken)).Select(e => e.Type).ToList();
        Assert.Contains("agent.registered", types);
        Assert.Contains("agent.key_rotated", types);
        Assert.Contains("agent.disabled", types);
        Assert.Contains("workflow.halted", types);
        Assert.Single(await store.ListHaltsAsync(TestContext.Current.CancellationToken));

        var unknown = await CliRun.RunAsync("halt", "no-such-flow", "--reason", "x", "--data", data);
        Assert.Equal(2, unknown.ExitCode);
    }
}
