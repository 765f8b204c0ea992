namespace Skybridge.Cli.Tests.Commands;

public sealed class LedgerKeyTests
{
    [Fact]
    public async Task Serve_WithAnotherLedgersKey_RefusesToStart_AndSaysWhy()
    {
        var first = CliRun.NewDataFolder();
        var second = CliRun.NewDataFolder();
        await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", first);
        await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", second);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "checkpoint", "--data", first)).ExitCode);

        var run = await CliRun.RunAsync("serve", "--data", second, "--urls", "http://127.0.0.1:0", "--ledger-key", Path.Combine(first, "keys", "ledger.key"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Each ledger has its own key", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot listen", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotatedKey_IsListedBesideTheOldOne_AndOldCheckpointsStillVerify()
    {
        var data = CliRun.NewDataFolder();
        await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "checkpoint", "--data", data)).ExitCode);
        var rotate = await CliRun.RunAsync("ledger", "keys", "--rotate", "--data", data);
        Assert.Equal(0, rotate.ExitCode);
        Assert.Equal(2, rotate.Output.Split('\n').Count(l => l.StartsWith("skybridge.ledger/", StringComparison.Ordinal)));
        await CliRun.RunAsync("manifest", "activate", "support-desk", "1", "--data", data);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "checkpoint", "--data", data)).ExitCode);
        var verify = await CliRun.RunAsync("ledger", "verify", "--data", data);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        Assert.Contains("2 signed checkpoints", verify.Output, StringComparison.Ordinal);
    }
}
