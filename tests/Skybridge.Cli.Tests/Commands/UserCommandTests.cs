namespace Skybridge.Cli.Tests.Commands;

public sealed class UserCommandTests
{
    private const string Password = "a long enough passphrase";

    [Fact]
    public async Task Add_WithRole_CreatesAccountAndGrant_WithoutEchoingThePassword()
    {
        var data = CliRun.NewDataFolder();
        await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data);
        var run = await CliRun.RunWithInputAsync(Password + "\n", "user", "add", "dana", "--role", "approver", "--workflow", "support-desk", "--password-stdin", "--data", data);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("Granted approver on support-desk", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, run.Output + run.Error, StringComparison.Ordinal);

        var list = await CliRun.RunAsync("user", "list", "--data", data);
        Assert.Contains("dana", list.Output, StringComparison.Ordinal);
        Assert.Contains("approver@support-desk", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_UnknownRole_FailsBeforeWritingAnything()
    {
        var data = CliRun.NewDataFolder();
        var run = await CliRun.RunWithInputAsync(Password + "\n", "user", "add", "dana", "--role", "aprover", "--workflow", "support-desk", "--password-stdin", "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown role 'aprover'", run.Error, StringComparison.Ordinal);
        var list = await CliRun.RunAsync("user", "list", "--data", data);
        Assert.DoesNotContain("dana", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_ShortPassword_IsRefused()
    {
        var run = await CliRun.RunWithInputAsync("short\n", "user", "add", "dana", "--password-stdin", "--data", CliRun.NewDataFolder());
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("too short", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grant_RoleWithoutWorkflow_SaysWhatIsMissing()
    {
        var data = CliRun.NewDataFolder();
        await CliRun.RunWithInputAsync(Password + "\n", "user", "add", "dana", "--password-stdin", "--data", data);
        var run = await CliRun.RunAsync("user", "grant", "dana", "auditor", "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--workflow", run.Error, StringComparison.Ordinal);
    }
}
