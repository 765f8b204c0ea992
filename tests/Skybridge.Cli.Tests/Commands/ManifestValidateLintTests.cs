namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge manifest validate</c> reports the policy lint beside the other diagnostics, as warnings.</summary>
public sealed class ManifestValidateLintTests
{
    [Fact]
    public async Task Validate_ForbidShadowingThePermits_WarnsAtEachRule_AndStillExitsZero()
    {
        var manifest = await PolicyReplayCommandTests.CandidateAsync(yaml => yaml.Replace(
            "policy:\n  rules:\n",
            "policy:\n  rules:\n    - id: refunds-paused\n      effect: forbid\n      principals: [\"*\"]\n      actions: [refund]\n",
            StringComparison.Ordinal));
        var text = await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken);
        var smallLine = 1 + text[..text.IndexOf("- id: refund-small", StringComparison.Ordinal)].Count(c => c == '\n');

        var run = await CliRun.RunAsync("manifest", "validate", manifest);

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains($"{manifest}:{smallLine}:7: warning SB1404: policy rule 'refund-small' never lets anything through", run.Output, StringComparison.Ordinal);
        Assert.Contains("warning SB1404: policy rule 'refund-large'", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{manifest}: valid (2 warnings)", run.Output, StringComparison.Ordinal);
    }
}
