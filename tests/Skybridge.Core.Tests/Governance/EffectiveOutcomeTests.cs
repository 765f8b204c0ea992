using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Governance.PolicyTestSupport;

namespace Skybridge.Core.Tests.Governance;

public sealed class EffectiveOutcomeTests
{
    // policy outcome (via sample requests), level, halted -> disposition
    public static TheoryData<string, AutonomyLevel, bool, Disposition, int> Table => new()
    {
        { "allow", AutonomyLevel.L0Draft, false, Disposition.RecordProposal, 0 },
        { "allow", AutonomyLevel.L1ApproveAll, false, Disposition.AwaitApproval, 1 },
        { "allow", AutonomyLevel.L2ApproveConsequential, false, Disposition.Execute, 0 },
        { "approval", AutonomyLevel.L0Draft, false, Disposition.RecordProposal, 0 },
        { "approval", AutonomyLevel.L1ApproveAll, false, Disposition.AwaitApproval, 1 },
        { "approval", AutonomyLevel.L2ApproveConsequential, false, Disposition.AwaitApproval, 1 },
        { "deny", AutonomyLevel.L0Draft, false, Disposition.Deny, 0 },
        { "deny", AutonomyLevel.L1ApproveAll, false, Disposition.Deny, 0 },
        { "deny", AutonomyLevel.L2ApproveConsequential, false, Disposition.Deny, 0 },
        { "allow", AutonomyLevel.L2ApproveConsequential, true, Disposition.Halted, 0 },
        { "approval", AutonomyLevel.L1ApproveAll, true, Disposition.Halted, 0 },
        { "deny", AutonomyLevel.L2ApproveConsequential, true, Disposition.Halted, 0 },
        { "allow", AutonomyLevel.Halted, false, Disposition.Halted, 0 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Of_FollowsTheLadderTable(string policyOutcome, AutonomyLevel level, bool halted, Disposition expected, int approvers)
    {
        var policy = Sample();
        var request = policyOutcome switch
        {
            "allow" => Refund(20),
            "approval" => Refund(80),
            _ => Refund(80, role: "researcher"),
        };
        var decision = policy.Decide(request);

        var outcome = EffectiveOutcome.Of(decision, level, halted, ActionConsequence.Consequential);

        Assert.Equal(expected, outcome.Disposition);
        Assert.Equal(approvers, outcome.Approvers);
    }

    [Fact]
    public void Of_DeniesProhibitedAction_AtEveryLevel()
    {
        var decision = Sample().Decide(Refund(20));

        foreach (var level in new[] { AutonomyLevel.L0Draft, AutonomyLevel.L1ApproveAll, AutonomyLevel.L2ApproveConsequential })
        {
            Assert.Equal(Disposition.Deny, EffectiveOutcome.Of(decision, level, halted: false, ActionConsequence.Prohibited).Disposition);
        }
    }

    [Fact]
    public void Of_RunsRoutineReply_AtL2_AndKeepsTwoApprovers_AtL1()
    {
        var reply = Sample().Decide(Call("reply", "responder", PolicyArgument.Of("ticket_id", "RT-000001"), PolicyArgument.Of("body", "Hello")));
        var twoApprovers = Compile("""
            - id: refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
              approvers: 2
            """).Decide(Refund(5));

        Assert.Equal(Disposition.Execute, EffectiveOutcome.Of(reply, AutonomyLevel.L2ApproveConsequential, false, ActionConsequence.Routine).Disposition);
        Assert.Equal(new EffectiveOutcome(Disposition.AwaitApproval, LadderReason.PolicyRequiresApproval, 2), EffectiveOutcome.Of(twoApprovers, AutonomyLevel.L1ApproveAll, false, ActionConsequence.Consequential));
    }
}
