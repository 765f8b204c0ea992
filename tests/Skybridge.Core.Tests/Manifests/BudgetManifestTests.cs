using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

/// <summary>The <c>budgets</c> section: what a valid one becomes, and the shapes that are refused with their position.</summary>
public sealed class BudgetManifestTests
{
    private static ManifestLoadResult LoadWithBudgets(string budgets) =>
        ManifestLoader.Load(With("\ndependencies:", "\nbudgets:\n" + budgets + "dependencies:"), FileName, AllFilesExist);

    [Fact]
    public void Load_ReadsSumAndCallBudgets_WhenTheyAreValid()
    {
        var result = LoadWithBudgets(
            "  - { name: refund-daily, action: refund, per: workflow, sum: amount, max: 500, period: 1d }\n" +
            "  - { name: calls, action: \"*\", per: agent, calls: 60, period: 1m }\n");

        Assert.DoesNotContain(result.Diagnostics, d => d.IsError);
        var budgets = result.Manifest!.Budgets;
        Assert.Equal(new Budget { Name = "refund-daily", Action = "refund", Per = BudgetScope.Workflow, Sum = "amount", Limit = 500, Period = TimeSpan.FromDays(1) }, budgets[0]);
        Assert.Equal(new Budget { Name = "calls", Action = "*", Per = BudgetScope.Agent, Sum = null, Limit = 60, Period = TimeSpan.FromMinutes(1) }, budgets[1]);
        Assert.True(budgets[1].Covers("refund"));
        Assert.False(budgets[0].Covers("reply"));
    }

    [Theory]
    [InlineData("sum: amount, max: 0,", "0,", "SB1007", "'max' in budget 'b' must be greater than 0")]
    [InlineData("sum: amount, max: -5,", "-5,", "SB1007", "'max' in budget 'b' must be greater than 0")]
    [InlineData("calls: 0,", "0,", "SB1007", "'calls' in budget 'b'")]
    [InlineData("sum: amount,", "{ name: b", "SB1118", "sets 'sum' without 'max'")]
    [InlineData("max: 5,", "{ name: b", "SB1118", "sets 'max' without 'sum'")]
    [InlineData("", "{ name: b", "SB1118", "sets neither")]
    public void Load_RefusesBudget_WhenItsLimitIsMissingOrNotPositive(string limit, string anchor, string code, string message)
    {
        var line = $"  - {{ name: b, action: refund, per: agent, {limit} period: 1d }}\n";
        var result = LoadWithBudgets(line);

        var diagnostic = Single(result, code);
        Assert.Contains(message, diagnostic.Message, StringComparison.Ordinal);
        AssertAt(diagnostic, Locate(With("\ndependencies:", "\nbudgets:\n" + line + "dependencies:"), anchor));
        Assert.Null(result.Manifest);
    }

    [Theory]
    [InlineData("1 day", "SB1008", "period '1 day' in budget 'b' is not a duration")]
    [InlineData("0m", "SB1007", "period in budget 'b' must be longer than zero")]
    [InlineData("400d", "SB1007", "at most 366d")]
    public void Load_RefusesBudget_WhenPeriodIsBad(string period, string code, string message)
    {
        var result = LoadWithBudgets($"  - {{ name: b, action: refund, per: agent, calls: 5, period: {period} }}\n");

        Assert.Contains(message, Single(result, code).Message, StringComparison.Ordinal);
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void Load_RefusesSum_WhenParameterIsText()
    {
        var text = With("\ndependencies:", "\nbudgets:\n  - { name: b, action: refund, per: agent, sum: currency, max: 5, period: 1d }\ndependencies:")
            .Replace("      amount: { type: number, required: true, minimum: 0 }", "      amount: { type: number, required: true, minimum: 0 }\n      currency: { type: string }", StringComparison.Ordinal);

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.BudgetSumNotNumeric);
        Assert.Contains("which is a string; a sum needs a number parameter (numeric: amount)", diagnostic.Message, StringComparison.Ordinal);
        AssertAt(diagnostic, Locate(text, "currency, max"));
    }

    [Fact]
    public void Load_RefusesSum_OverEveryAction()
    {
        var result = LoadWithBudgets("  - { name: b, action: \"*\", per: workflow, sum: amount, max: 5, period: 1d }\n");

        Assert.Contains("a sum needs one action", Single(result, DiagnosticCodes.BudgetSumNotNumeric).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RefusesBudgets_WithTheSameName()
    {
        var result = LoadWithBudgets(
            "  - { name: b, action: refund, per: agent, calls: 5, period: 1d }\n" +
            "  - { name: b, action: refund, per: workflow, calls: 9, period: 1h }\n");

        Assert.Contains("duplicate budget 'b'", Single(result, DiagnosticCodes.DuplicateName).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SampleSupportDesk_HasItsRefundBudgetAndNoDiagnostics()
    {
        var path = Path.Combine(RepoRoot(), "samples", "support-desk", "manifest.yaml");
        var result = ManifestLoader.Load(File.ReadAllText(path), "manifest.yaml", AllFilesExist);

        Assert.Empty(result.Diagnostics);
        var refunds = Assert.Single(result.Manifest!.Budgets, b => b.Action == "refund");
        Assert.Equal(("amount", 500.0, TimeSpan.FromDays(1), BudgetScope.Workflow), (refunds.Sum, refunds.Limit, refunds.Period, refunds.Per));
    }
}
