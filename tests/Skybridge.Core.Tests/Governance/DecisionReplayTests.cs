using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using static Skybridge.Core.Tests.Governance.PolicyTestSupport;

namespace Skybridge.Core.Tests.Governance;

/// <summary>One recorded decision decided again under a candidate policy: flipped, unchanged or uncertain, and why.</summary>
public sealed class DecisionReplayTests
{
    private const string Replies = "- id: replies\n  effect: permit\n  principals: [role:responder]\n  actions: [reply]";

    private static RecordedDecision Reply(PolicyOutcome outcome = PolicyOutcome.Allow, Disposition? disposition = Disposition.RecordProposal) => new()
    {
        ActionId = "act-1",
        Action = "reply",
        At = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
        AgentRole = "responder",
        Values = [PolicyArgument.Of("urgent", true)],
        UnrecordedParameters = ["body"],
        Outcome = outcome,
        Disposition = disposition,
        Rules = ["replies"],
    };

    [Fact]
    public void Redecide_ForbidOnRecordedValue_Flips()
    {
        var candidate = Compile(Replies + "\n- id: no-urgent\n  effect: forbid\n  principals: [\"*\"]\n  actions: [reply]\n  when: { urgent: { eq: true } }");

        var replayed = DecisionReplay.Redecide(Reply(), candidate);

        Assert.Equal(ReplayVerdict.Flipped, replayed.Verdict);
        Assert.Equal((PolicyOutcome.Deny, Disposition.Deny), (replayed.Outcome, replayed.Disposition));
        Assert.Equal(["no-urgent"], replayed.Rules);
    }

    [Fact]
    public void Redecide_ForbidOnUnrecordedFreeText_IsUncertain_UnlessAnotherConditionRulesItOut()
    {
        var onBody = Compile(Replies + "\n- id: no-promises\n  effect: forbid\n  principals: [\"*\"]\n  actions: [reply]\n  when: { body: { eq: refund } }");
        var ruledOut = Compile(Replies + "\n- id: no-promises\n  effect: forbid\n  principals: [\"*\"]\n  actions: [reply]\n  when: { body: { eq: refund }, urgent: { eq: false } }");

        var uncertain = DecisionReplay.Redecide(Reply(), onBody);
        var certain = DecisionReplay.Redecide(Reply(), ruledOut);

        Assert.Equal(ReplayVerdict.Uncertain, uncertain.Verdict);
        Assert.Equal("parameter body not recorded", uncertain.Uncertainty);
        // urgent was true: the rule cannot match whatever the body said.
        Assert.Equal(ReplayVerdict.Unchanged, certain.Verdict);
    }

    [Fact]
    public void Redecide_RecordedWhileHalted_ComparesOnlyThePolicyOutcome()
    {
        var same = Compile(Replies);

        var replayed = DecisionReplay.Redecide(Reply(disposition: Disposition.Halted), same);

        Assert.Equal(ReplayVerdict.Unchanged, replayed.Verdict);
        Assert.Equal(Disposition.RecordProposal, replayed.Disposition);
    }

    [Fact]
    public void Redecide_ActionGoneFromCandidate_FlipsToDeny_AndUnknownRoleIsUncertain()
    {
        var candidate = Compile(Replies);

        var gone = DecisionReplay.Redecide(Reply() with { Action = "archive" }, candidate);
        var noRole = DecisionReplay.Redecide(Reply() with { AgentRole = null }, candidate);

        Assert.Equal((ReplayVerdict.Flipped, PolicyOutcome.Deny, Disposition.Deny), (gone.Verdict, gone.Outcome, gone.Disposition));
        Assert.Equal((ReplayVerdict.Uncertain, "agent role not recorded"), (noRole.Verdict, noRole.Uncertainty));
    }
}
