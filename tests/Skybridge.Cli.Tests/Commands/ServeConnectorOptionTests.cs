namespace Skybridge.Cli.Tests.Commands;

/// <summary>
/// <c>serve</c>'s settings for governed actions: the systems of record it mints connector tokens for (<c>--resource</c>)
/// and how long a claim may run before the outbox sends it again (<c>--action-claim-timeout</c>). Both are used by a real
/// node in HelpdeskBilling.Tests' ExactlyOnceUnderKillTests; here, what a wrong value answers.
/// </summary>
public sealed class ServeConnectorOptionTests
{
    [Fact]
    public async Task Serve_ResourceWithAFragment_IsRefused_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0", "--resource", "https://billing.example.com/api#part");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--resource 'https://billing.example.com/api#part' must be an absolute http(s) URL without a fragment", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_RelativeResource_IsRefused_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0", "--resource", "billing/api");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--resource 'billing/api'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ZeroActionClaimTimeout_IsRefused_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0", "--action-claim-timeout", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--action-claim-timeout must be at least 1 second", run.Error, StringComparison.Ordinal);
    }
}
