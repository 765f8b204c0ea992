using Skybridge.Core.Evaluation;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class ActivationGateTests
{
    private const string Text = "aaaa000000000000000000000000000000000000000000000000000000000001";
    private const string Other = "bbbb000000000000000000000000000000000000000000000000000000000002";
    private const string Pin = "cccc000000000000000000000000000000000000000000000000000000000003";
    private const string OtherSet = "dddd000000000000000000000000000000000000000000000000000000000004";
    private const string Owner = "user:maria.lopez";
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static GateRun Run(string id, bool clears, string manifest = Text, string golden = Pin, int minutes = 0) =>
        new(id, manifest, golden, clears, T0.AddMinutes(minutes));

    [Fact]
    public void Decide_AClearingRunOfThisExactText_OnThePinnedSet_Clears_AndNamesTheRun()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", false), Run("run-2", true, minutes: 1)], null);

        Assert.Equal(ActivationGateOutcome.ClearedByRun, decision.Outcome);
        Assert.Equal("run-2", decision.RunId);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void Decide_HashesCompareWithoutCase()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", true, Text.ToUpperInvariant(), Pin.ToUpperInvariant())], null);

        Assert.Equal(ActivationGateOutcome.ClearedByRun, decision.Outcome);
    }

    [Fact]
    public void Decide_AClearingRunOfAnotherText_DoesNotCount()
    {
        // One changed word in the prompt is another version: its evidence does not carry over.
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", true, manifest: Other)], null);

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.EvaluationRequired, decision.Code);
        Assert.Null(decision.RunId);
        Assert.Contains(Owner, decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_AClearingRunOnAnotherGoldenSet_DoesNotCount_AndSaysSo()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", true, golden: OtherSet)], null);

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.EvaluationRequired, decision.Code);
        Assert.Contains("1 ran another golden set", decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoPin_NoRunCanClear()
    {
        var decision = ActivationGate.Decide(Text, null, Owner, [Run("run-1", true)], null);

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.EvaluationRequired, decision.Code);
        Assert.Contains("pins no golden set", decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OnlyFailingRuns_IsBelowTheBar_AndNamesTheNewest()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-old", false), Run("run-new", false, minutes: 5)], null);

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.EvaluationBelowBar, decision.Code);
        Assert.Equal("run-new", decision.RunId);
        Assert.Contains("run-new", decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OwnerOverride_WithAReason_IsAllowed_AndKeepsTheReasonTrimmed_AndTheNewestRun()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", false)], new GateOverride("maria.lopez", "  pilot kick-off, bar agreed next week  ", OverrideAuthority.Owner));

        Assert.Equal(ActivationGateOutcome.Overridden, decision.Outcome);
        Assert.Equal("pilot kick-off, bar agreed next week", decision.Override!.Reason);
        Assert.Equal("run-1", decision.RunId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("because")]
    public void Decide_OverrideWithoutAReason_IsRefused(string reason)
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [], new GateOverride("maria.lopez", reason, OverrideAuthority.Owner));

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.OverrideReasonRequired, decision.Code);
    }

    [Fact]
    public void Decide_OverrideWithAnEndlessReason_IsRefused()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [], new GateOverride("maria.lopez", new string('x', ActivationGate.MaxReasonLength + 1), OverrideAuthority.Owner));

        Assert.Equal(ActivationGate.OverrideReasonRequired, decision.Code);
    }

    [Fact]
    public void Decide_OverrideBySomeoneElse_IsRefused_AndNamesTheOwner()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [], new GateOverride("tom.becker", "the pilot must start today", OverrideAuthority.None));

        Assert.False(decision.Allowed);
        Assert.Equal(ActivationGate.OverrideNotOwner, decision.Code);
        Assert.Contains("tom.becker is not", decision.Detail, StringComparison.Ordinal);
        Assert.Contains(Owner, decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_AClearingRun_WinsOverAnOverride_SoNothingIsRecordedAsOverridden()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [Run("run-1", true)], new GateOverride("maria.lopez", "just in case it is needed", OverrideAuthority.Owner));

        Assert.Equal(ActivationGateOutcome.ClearedByRun, decision.Outcome);
        Assert.Null(decision.Override);
    }

    [Fact]
    public void Decide_LocalSetupOverride_IsAllowed_AndSaysItIsASetUp()
    {
        var decision = ActivationGate.Decide(Text, Pin, Owner, [], new GateOverride("skybridge-up", "the bundled sample, set up for a trial", OverrideAuthority.LocalSetup));

        Assert.Equal(ActivationGateOutcome.Overridden, decision.Outcome);
        Assert.Contains("local set-up", decision.Detail, StringComparison.Ordinal);
    }
}
