using System.Text.Json;
using System.Text.RegularExpressions;

namespace Skybridge.Cli.Tests.Commands;

public sealed class ManifestCommandTests
{
    [Fact]
    public async Task Validate_SampleManifest_ExitsZero()
    {
        var run = await CliRun.RunAsync("manifest", "validate", CliRun.SampleManifest, "--data", CliRun.NewDataFolder());
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("valid", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FiveMistakes_ReportsAllFive_WithLineNumbers_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("manifest", "validate", CliRun.FiveMistakes);
        Assert.Equal(2, run.ExitCode);
        var errors = run.Output.Split('\n').Where(l => Regex.IsMatch(l, @"five-mistakes\.yaml:\d+:\d+: error SB\d{4}: ")).ToList();
        Assert.True(errors.Count >= 5, run.Output);
        Assert.Contains("5 errors", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Json_GivesCodeAndPositionOfEachProblem()
    {
        var run = await CliRun.RunAsync("manifest", "validate", CliRun.FiveMistakes, "--json");
        Assert.Equal(2, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Output);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        var diagnostics = doc.RootElement.GetProperty("diagnostics").EnumerateArray().ToList();
        Assert.All(diagnostics, d =>
        {
            Assert.Matches(@"^SB\d{4}$", d.GetProperty("code").GetString());
            Assert.True(d.GetProperty("line").GetInt32() > 0);
            Assert.True(d.GetProperty("column").GetInt32() > 0);
        });
    }

    [Fact]
    public async Task Validate_MissingFile_SaysSo_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("manifest", "validate", "/no/such/manifest.yaml");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Cannot read /no/such/manifest.yaml: there is no such file.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAndPolicyTest_AFolderForAFile_SayItIsAFolder_NotThatAccessIsDenied()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-not-a-manifest-").FullName;
        try
        {
            var validate = await CliRun.RunAsync("manifest", "validate", folder);
            var request = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, folder);

            Assert.Equal(2, validate.ExitCode);
            Assert.Contains($"Cannot read {folder}: it is a folder, not a file.", validate.Error, StringComparison.Ordinal);
            Assert.Equal(2, request.ExitCode);
            Assert.Contains($"Cannot read {folder}: it is a folder, not a file.", request.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("denied", validate.Error + request.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public async Task PublishActivateRollbackList_WorkAgainstTheDataFolder()
    {
        var data = CliRun.NewDataFolder();
        // No stored evaluation run of this version: published, but the gate keeps it inactive (exit 1).
        var publish = await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--activate", "--by", "maria");
        Assert.True(publish.ExitCode == 1, publish.Output + publish.Error);
        Assert.Contains("Published support-desk version 1", publish.Output, StringComparison.Ordinal);
        Assert.Contains("not activated (evaluation_required)", publish.Error, StringComparison.Ordinal);

        // Only the owner (user:maria.lopez) may override, and only with a reason.
        var notOwner = await CliRun.RunAsync("manifest", "activate", "support-desk", "1", "--data", data, "--by", "maria", "--override-reason", "we need it live for the demo");
        Assert.Equal(1, notOwner.ExitCode);
        Assert.Contains("override_not_owner", notOwner.Error, StringComparison.Ordinal);
        var noReason = await CliRun.RunAsync("manifest", "activate", "support-desk", "1", "--data", data, "--by", "maria.lopez", "--override-reason", "ok");
        Assert.Equal(1, noReason.ExitCode);
        Assert.Contains("override_reason_required", noReason.Error, StringComparison.Ordinal);
        var overridden = await CliRun.RunAsync("manifest", "activate", "support-desk", "1", "--data", data, "--by", "maria.lopez", "--override-reason", "pilot kick-off before the golden set is agreed");
        Assert.True(overridden.ExitCode == 0, overridden.Output + overridden.Error);
        Assert.Contains("owner's override: pilot kick-off before the golden set is agreed", overridden.Output, StringComparison.Ordinal);

        // A second revision with a bar this workflow clears, evaluated before it is activated.
        var folder = Path.Combine(data, "work");
        CliRun.CopySample(folder);
        var revised = Path.Combine(folder, "manifest.yaml");
        var text = await File.ReadAllTextAsync(revised, TestContext.Current.CancellationToken);
        var bar = text.IndexOf("acceptance_bar:", StringComparison.Ordinal);
        var golden = text.IndexOf("# Pinned:", StringComparison.Ordinal);
        text = text[..bar] + "acceptance_bar:\n  - metric: abstention_recall\n    min: 0.5\n\n" + text[golden..] + "\n# revision 2: a bar for abstentions only\n";
        await File.WriteAllTextAsync(revised, text, TestContext.Current.CancellationToken);
        var second = await CliRun.RunAsync("manifest", "publish", revised, "--data", data, "--by", "maria");
        Assert.True(second.ExitCode == 0, second.Output + second.Error);
        Assert.Contains("version 2", second.Output, StringComparison.Ordinal);

        var again = await CliRun.RunAsync("manifest", "publish", revised, "--data", data);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already has this exact content", again.Output, StringComparison.Ordinal);

        var eval = await CliRun.RunAsync("eval", "run", revised, "--data", data);
        Assert.True(eval.ExitCode == 0, eval.Output + eval.Error);
        var runId = System.Text.RegularExpressions.Regex.Match(eval.Output, "Stored as evidence: (run-[0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(runId);

        var activate = await CliRun.RunAsync("manifest", "activate", "support-desk", "2", "--data", data);
        Assert.True(activate.ExitCode == 0, activate.Output + activate.Error);
        Assert.Contains("version 2 is now active (was 1", activate.Output, StringComparison.Ordinal);
        Assert.Contains($"evaluation {runId}, which cleared the bar", activate.Output, StringComparison.Ordinal);

        var rollback = await CliRun.RunAsync("manifest", "rollback", "support-desk", "--data", data);
        Assert.Equal(0, rollback.ExitCode);
        Assert.Contains("version 1 is now active (was 2; rollback)", rollback.Output, StringComparison.Ordinal);

        // Every version says how it got past the gate, the override's reason included.
        var list = await CliRun.RunAsync("manifest", "list", "support-desk", "--data", data);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("v2", list.Output, StringComparison.Ordinal);
        Assert.Contains("maria", list.Output, StringComparison.Ordinal);
        Assert.Contains("active", list.Output, StringComparison.Ordinal);
        Assert.Contains("owner's override", list.Output, StringComparison.Ordinal);
        Assert.Contains(runId, list.Output, StringComparison.Ordinal);

        var show = await CliRun.RunAsync("manifest", "show", "support-desk", "2", "--data", data);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("# revision 2", show.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_InvalidManifest_StoresNothing()
    {
        var data = CliRun.NewDataFolder();
        var run = await CliRun.RunAsync("manifest", "publish", CliRun.FiveMistakes, "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nothing was stored", run.Error, StringComparison.Ordinal);
        var list = await CliRun.RunAsync("manifest", "list", "--data", data);
        Assert.DoesNotContain("support-desk", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activate_UnknownVersion_ExitsTwo()
    {
        var data = CliRun.NewDataFolder();
        await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data);
        var run = await CliRun.RunAsync("manifest", "activate", "support-desk", "7", "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("has no such version", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsageErrors_ExitTwo_AndNameTheProblem()
    {
        var run = await CliRun.RunAsync("manifest", "activate", "support-desk", "not-a-number");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not-a-number", run.Error, StringComparison.Ordinal);
        var both = await CliRun.RunAsync("manifest", "list", "--data", "/tmp/x", "--postgres", "Host=localhost");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("either --data or --postgres", both.Error, StringComparison.Ordinal);
    }
}
