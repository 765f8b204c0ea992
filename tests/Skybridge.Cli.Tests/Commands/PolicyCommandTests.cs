using System.Text.Json;

namespace Skybridge.Cli.Tests.Commands;

public sealed class PolicyCommandTests
{
    private static string Request(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), "skybridge-policy-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string LargeRefund = """
        {
          "action": "refund",
          "agent_role": "responder",
          "actor_chain": ["user:maria.lopez", "support-desk/responder-1"],
          "resource": "case-42",
          "parameters": { "order_id": "SO-000123", "amount": 80, "currency": "EUR" }
        }
        """;

    [Fact]
    public async Task Test_LargeRefund_NeedsSupportLead_AndExitsThree()
    {
        var run = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, Request(LargeRefund));

        Assert.True(run.ExitCode == 3, run.Output + run.Error);
        Assert.Contains("REQUIRE APPROVAL", run.Output, StringComparison.Ordinal);
        Assert.Contains("needs the approval of one of group:support-leads: rule refund-large asks for it", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_SmallRefund_IsAllowed_AndExitsZero_WithJson()
    {
        var run = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, Request(LargeRefund.Replace("\"amount\": 80", "\"amount\": 20", StringComparison.Ordinal)), "--json");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        using var doc = JsonDocument.Parse(run.Output);
        Assert.Equal("allow", doc.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("refund-small", doc.RootElement.GetProperty("rules")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Test_ResearcherRefund_IsDenied_SayingWhichRuleWouldAllowIt_AndExitsOne()
    {
        var run = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, Request("""{ "action": "refund", "agent_role": "researcher", "parameters": { "amount": 80, "currency": "EUR" } }"""));

        Assert.True(run.ExitCode == 1, run.Output + run.Error);
        Assert.Contains("no rule permits role:researcher to call 'refund'", run.Output, StringComparison.Ordinal);
        Assert.Contains("would allow: rule refund-large permits this for role:responder (the call comes from role:researcher), with the approval of one of group:support-leads", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_BadRequestFile_NamesEachProblemWithLineAndColumn_AndExitsTwo()
    {
        var file = Request("{\n  \"action\": \"refund\",\n  \"agent_role\": 7,\n  \"paramters\": {}\n}");

        var run = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, file);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{file}:3:17: error SB1003: 'agent_role' must be text, not a number", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{file}:4:3: error SB1002: unknown key 'paramters'", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_MalformedJson_GivesThePositionOfTheSyntaxError()
    {
        var file = Request("{\n  \"action\": \"refund\"\n  \"agent_role\": \"responder\"\n}");

        var run = await CliRun.RunAsync("policy", "test", CliRun.SampleManifest, file);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{file}:3:3: error SB1001: JSON syntax error", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestAndLint_Workflow_ReadTheActiveVersionFromTheStore()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez");
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);

        var test = await CliRun.RunAsync("policy", "test", "support-desk", Request(LargeRefund), "--data", data);
        var lint = await CliRun.RunAsync("policy", "lint", "support-desk", "--data", data);
        var unknown = await CliRun.RunAsync("policy", "lint", "no-such-desk", "--data", data);

        Assert.True(test.ExitCode == 3, test.Output + test.Error);
        Assert.Contains("under support-desk v1: REQUIRE APPROVAL", test.Output, StringComparison.Ordinal);
        Assert.True(lint.ExitCode == 0, lint.Output + lint.Error);
        Assert.Contains("support-desk v1: policy clean (3 rules)", lint.Output, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Workflow 'no-such-desk' does not exist or has no active version", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lint_ForbidCoveringThePermits_ReportsEachShadowedRuleAtItsLine_AndExitsOne()
    {
        var folder = Path.Combine(CliRun.NewDataFolder(), "work");
        Directory.CreateDirectory(folder);
        var sampleFolder = Path.GetDirectoryName(CliRun.SampleManifest)!;
        foreach (var file in Directory.GetFiles(sampleFolder))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(sampleFolder))
        {
            Directory.CreateDirectory(Path.Combine(folder, Path.GetFileName(dir)));
        }

        var manifest = Path.Combine(folder, "manifest.yaml");
        var text = (await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken)).Replace(
            "policy:\n  rules:\n",
            "policy:\n  rules:\n    - id: refunds-paused\n      effect: forbid\n      principals: [\"*\"]\n      actions: [refund]\n",
            StringComparison.Ordinal);
        await File.WriteAllTextAsync(manifest, text, TestContext.Current.CancellationToken);
        var smallLine = 1 + text[..text.IndexOf("- id: refund-small", StringComparison.Ordinal)].Count(c => c == '\n');

        var run = await CliRun.RunAsync("policy", "lint", manifest);

        Assert.True(run.ExitCode == 1, run.Output + run.Error);
        Assert.Contains($"{manifest}:{smallLine}:7: warning SB1404: policy rule 'refund-small' never lets anything through: forbid rule 'refunds-paused' matches every call it matches", run.Output, StringComparison.Ordinal);
        Assert.Contains("warning SB1404: policy rule 'refund-large'", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 findings", run.Output, StringComparison.Ordinal);
    }
}
