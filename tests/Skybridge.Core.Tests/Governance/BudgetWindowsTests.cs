using Skybridge.Core.Governance.Budgets;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Governance;

/// <summary>Window maths: every node puts a moment in the same fixed window, and amounts add up exactly.</summary>
public sealed class BudgetWindowsTests
{
    [Fact]
    public void StartOf_DayWindow_IsMidnightUtc_WhateverTheOffset()
    {
        var at = new DateTimeOffset(2026, 11, 27, 23, 59, 59, TimeSpan.FromHours(-5)); // 04:59:59 UTC on the 28th

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), BudgetWindows.StartOf(at, TimeSpan.FromDays(1)));
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero), BudgetWindows.ResetsAt(at, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void StartOf_MinuteWindow_ChangesExactlyOnTheMinute()
    {
        var start = new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

        Assert.Equal(start, BudgetWindows.StartOf(start, TimeSpan.FromMinutes(1)));
        Assert.Equal(start, BudgetWindows.StartOf(start.AddTicks(TimeSpan.TicksPerMinute - 1), TimeSpan.FromMinutes(1)));
        Assert.Equal(start.AddMinutes(1), BudgetWindows.StartOf(start.AddMinutes(1), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void StartOf_BeforeTheEpoch_StillRoundsDown()
    {
        var at = new DateTimeOffset(1969, 12, 31, 23, 30, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(1969, 12, 31, 23, 0, 0, TimeSpan.Zero), BudgetWindows.StartOf(at, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void ToUnits_AddsTenthsExactly_WhereDoublesDrift()
    {
        var units = Enumerable.Repeat(BudgetWindows.ToUnits(0.1), 10).Sum();

        Assert.Equal(BudgetWindows.ToUnits(1), units);
        Assert.NotEqual(1.0, Enumerable.Repeat(0.1, 10).Sum());
        Assert.Equal(0.5, BudgetWindows.FromUnits(BudgetWindows.ToUnits(0.5)));
    }

    [Fact]
    public void SubjectOf_AgentBudget_IsTheAgent_WorkflowBudget_IsEveryone()
    {
        var budget = new Budget { Name = "b", Action = "*", Per = BudgetScope.Agent, Limit = 5, Period = TimeSpan.FromMinutes(1) };

        Assert.Equal("agent-1", BudgetWindows.SubjectOf(budget, "agent-1"));
        Assert.Equal("*", BudgetWindows.SubjectOf(budget with { Per = BudgetScope.Workflow }, "agent-1"));
        Assert.Equal("1d", BudgetWindows.Format(TimeSpan.FromDays(1)));
        Assert.Equal("90s", BudgetWindows.Format(TimeSpan.FromSeconds(90)));
    }
}
