namespace Skybridge.Cli.Tests.Commands;

public sealed class SingleSignOnOptionTests
{
    [Fact]
    public async Task Serve_WithBadSingleSignOnOptions_ReportsEveryProblemAndStartsNothing()
    {
        var data = CliRun.NewDataFolder();
        var run = await CliRun.RunAsync("serve", "--data", data, "--oidc-authority", "http://idp.example", "--oidc-role", "leads=approver", "--oidc-role", "x=boss@y");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--oidc-authority needs --oidc-client-id", run.Error, StringComparison.Ordinal);
        Assert.Contains("write leads=approver@WORKFLOW", run.Error, StringComparison.Ordinal);
        Assert.Contains("unknown role 'boss'", run.Error, StringComparison.Ordinal);
        Assert.Contains("must use https", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
    }
}
