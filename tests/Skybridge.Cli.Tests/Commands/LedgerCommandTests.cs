using System.Text.Json;

namespace Skybridge.Cli.Tests.Commands;

public sealed class LedgerCommandTests
{
    /// <summary>A data folder with some history: a published, activated manifest and an account.</summary>
    private static async Task<string> FolderWithHistoryAsync()
    {
        var data = CliRun.NewDataFolder();
        Assert.Equal(0, (await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez")).ExitCode);
        Assert.Equal(0, (await CliRun.RunWithInputAsync("a long enough passphrase\n", "user", "add", "dana", "--role", "auditor", "--workflow", "support-desk", "--password-stdin", "--data", data)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "checkpoint", "--data", data)).ExitCode);
        return data;
    }

    [Fact]
    public async Task ConfigurationChanges_AreInTheLedger_AndItVerifies()
    {
        var data = await FolderWithHistoryAsync();
        var verify = await CliRun.RunAsync("ledger", "verify", "--data", data, "--json");
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        using var doc = JsonDocument.Parse(verify.Output);
        Assert.True(doc.RootElement.GetProperty("verified").GetBoolean());
        // manifest.published, workflow.activated, account.created, role.granted
        Assert.Equal(4, doc.RootElement.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task ExportedBundle_VerifiesOffline_WithThePublishedKey_AndFailsWithAnother()
    {
        var data = await FolderWithHistoryAsync();
        var bundle = Path.Combine(data, "export.json");
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data)).ExitCode);
        var key = (await CliRun.RunAsync("ledger", "keys", "--data", data)).Output.Trim().Split('\n')[0].Trim();

        var ok = await CliRun.RunAsync("ledger", "verify", "--bundle", bundle, "--public-key", key);
        Assert.True(ok.ExitCode == 0, ok.Output + ok.Error);
        Assert.StartsWith("verified:", ok.Output, StringComparison.Ordinal);

        var otherData = await FolderWithHistoryAsync();
        var otherKey = (await CliRun.RunAsync("ledger", "keys", "--data", otherData)).Output.Trim().Split('\n')[0].Trim();
        var wrongKey = await CliRun.RunAsync("ledger", "verify", "--bundle", bundle, "--public-key", otherKey);
        Assert.Equal(2, wrongKey.ExitCode);
        Assert.Contains("NOT VERIFIED: unknownkey", wrongKey.Output, StringComparison.Ordinal);

        var truncated = Path.Combine(data, "truncated.json");
        var bytes = await File.ReadAllBytesAsync(bundle, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length - 40)], TestContext.Current.CancellationToken);
        var broken = await CliRun.RunAsync("ledger", "verify", "--bundle", truncated, "--public-key", key);
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("NOT VERIFIED: malformed", broken.Output, StringComparison.Ordinal);

        var notAKey = await CliRun.RunAsync("ledger", "verify", "--bundle", bundle, "--public-key", "not-a-key");
        Assert.Equal(2, notAKey.ExitCode);
        Assert.Contains("is not a ledger public key", notAKey.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_IntoAFolderThatDoesNotExist_ExitsTwo_SaysWhy_AndWritesNothing()
    {
        var data = await FolderWithHistoryAsync();
        var bundle = Path.Combine(data, "no-such-folder", "export.json");

        var export = await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data);

        Assert.Equal(2, export.ExitCode);
        Assert.Contains($"The bundle cannot be written to {bundle}: the folder {Path.GetDirectoryName(bundle)} does not exist.", export.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", export.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(bundle)));
    }

    [Fact]
    public async Task Export_SignsACheckpointFirst_WhenNothingIsSignedYet_SoTheBundleVerifies()
    {
        var data = CliRun.NewDataFolder();
        Assert.Equal(0, (await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez")).ExitCode);
        var bundle = Path.Combine(data, "export.json");

        var export = await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data);
        Assert.True(export.ExitCode == 0, export.Output + export.Error);
        Assert.Contains("the newest signed checkpoint covers 2", export.Output, StringComparison.Ordinal);

        var key = (await CliRun.RunAsync("ledger", "keys", "--data", data)).Output.Trim().Split('\n')[0].Trim();
        var verify = await CliRun.RunAsync("ledger", "verify", "--bundle", bundle, "--public-key", key, "--json");
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        using var doc = JsonDocument.Parse(verify.Output);
        Assert.Equal(2, doc.RootElement.GetProperty("events").GetInt64());
        Assert.Equal(1, doc.RootElement.GetProperty("checkpoints").GetInt64());
    }

    [Fact]
    public async Task Export_IsRefused_WithTheReason_AndWritesNoFile_WhenNothingIsSignedAndTheKeyIsElsewhere()
    {
        var data = CliRun.NewDataFolder();
        Assert.Equal(0, (await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--by", "maria")).ExitCode);
        // The ledger's key lives outside the data folder (as with `serve --ledger-key`), and nothing is signed yet.
        var elsewhere = Path.Combine(CliRun.NewDataFolder(), "ledger.key");
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "keys", "--rotate", "--ledger-key", elsewhere, "--data", data)).ExitCode);
        var bundle = Path.Combine(data, "export.json");

        var refused = await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("nothing signed to verify against", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(bundle));
        Assert.False(File.Exists(bundle + ".partial"));
        Assert.False(File.Exists(Path.Combine(data, "keys", "ledger.key")));

        // With the key named, the same export signs first and verifies.
        Assert.Equal(0, (await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data, "--ledger-key", elsewhere)).ExitCode);
        var verify = await CliRun.RunAsync("ledger", "verify", "--bundle", bundle);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
    }

    [Fact]
    public async Task Export_IsRefused_WhenTheLedgerIsEmpty()
    {
        var data = CliRun.NewDataFolder();
        var bundle = Path.Combine(data, "export.json");
        var refused = await CliRun.RunAsync("ledger", "export", "--out", bundle, "--data", data);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("nothing to export", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(bundle));
    }

    [Fact]
    public async Task Proofs_ArePrinted_AndOutOfRangeIsRefused()
    {
        var data = await FolderWithHistoryAsync();
        var inclusion = await CliRun.RunAsync("ledger", "proof", "inclusion", "2", "--data", data);
        Assert.True(inclusion.ExitCode == 0, inclusion.Output + inclusion.Error);
        using (var doc = JsonDocument.Parse(inclusion.Output))
        {
            Assert.Equal(2, doc.RootElement.GetProperty("index").GetInt64());
        }

        var consistency = await CliRun.RunAsync("ledger", "proof", "consistency", "2", "4", "--data", data);
        Assert.Equal(0, consistency.ExitCode);
        var outOfRange = await CliRun.RunAsync("ledger", "proof", "inclusion", "99", "--data", data);
        Assert.Equal(2, outOfRange.ExitCode);
    }

    [Fact]
    public async Task Replay_UnknownCase_SaysSo()
    {
        var data = await FolderWithHistoryAsync();
        var run = await CliRun.RunAsync("ledger", "replay", "no-such-case", "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no events for case 'no-such-case'", run.Error, StringComparison.Ordinal);
    }
}
