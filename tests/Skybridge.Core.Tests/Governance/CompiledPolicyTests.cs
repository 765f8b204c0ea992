using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Governance.PolicyTestSupport;

namespace Skybridge.Core.Tests.Governance;

public sealed class CompiledPolicyTests
{
    [Fact]
    public void Decide_AllowsSmallRefund_WithoutApproval_InSampleManifest()
    {
        var policy = Sample();

        var decision = policy.Decide(Refund(30));

        Assert.Equal(PolicyOutcome.Allow, decision.Outcome);
        Assert.Equal(["refund-small"], decision.RuleIds);
        Assert.Contains("allowed by rule refund-small", decision.Explain(Refund(30)).Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_AsksSupportLeads_ForLargeRefund_InSampleManifest()
    {
        var policy = Sample();

        var decision = policy.Decide(Refund(80));

        Assert.Equal(PolicyOutcome.RequireApproval, decision.Outcome);
        Assert.Equal(PolicyReason.ApprovalRequiredByRule, decision.Reason);
        Assert.Equal(1, decision.Approvers);
        Assert.Equal("refund-large", decision.ApprovalRuleId);
        Assert.Equal(["group:support-leads"], decision.Authority.Select(p => p.ToString()));
        Assert.Equal("needs the approval of one of group:support-leads: rule refund-large asks for it", decision.Explain(Refund(80)).Summary);
    }

    [Fact]
    public void Decide_DeniesResearcher_SayingNoRulePermits_AndWhichRuleWouldWithAnotherRole()
    {
        var policy = Sample();
        var request = Refund(80, role: "researcher");

        var decision = policy.Decide(request);
        var explanation = decision.Explain(request);

        Assert.Equal(PolicyReason.NoRulePermits, decision.Reason);
        Assert.Empty(decision.RuleIds);
        Assert.Equal("denied: no rule permits role:researcher to call 'refund' here (deny by default)", explanation.Summary);
        Assert.Contains(explanation.WouldAllow, s => s.StartsWith("rule refund-large permits this for role:responder (the call comes from role:researcher), with the approval of one of group:support-leads", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_ForbidBeatsPermit_AndNamesTheForbiddingRule()
    {
        var policy = Compile("""
            - id: refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
              approval: none
            - id: no-dollars
              description: Dollar refunds go through finance.
              effect: forbid
              principals: ["*"]
              actions: [refund]
              when: { currency: { eq: USD } }
            """);

        var denied = policy.Decide(Refund(10, "USD"));
        var allowed = policy.Decide(Refund(10, "EUR"));

        Assert.Equal(PolicyReason.ForbiddenByRule, denied.Reason);
        Assert.Equal(["no-dollars"], denied.RuleIds);
        var explanation = denied.Explain(Refund(10, "USD"));
        Assert.Equal("denied: forbidden by rule no-dollars (Dollar refunds go through finance.)", explanation.Summary);
        Assert.Equal(["rule no-dollars forbids it while currency = USD; a call outside that is decided by the permits"], explanation.WouldAllow);
        Assert.Equal(PolicyOutcome.Allow, allowed.Outcome);
    }

    [Fact]
    public void Decide_DeniesByDefault_WhenNoRuleNamesTheAction()
    {
        var policy = Compile("""
            - id: replies
              effect: permit
              principals: [role:responder]
              actions: [reply]
            """);
        var request = Refund(10);

        var decision = policy.Decide(request);

        Assert.Equal(PolicyReason.NoRulePermits, decision.Reason);
        Assert.Equal(["no rule permits 'refund' at all: add a permit rule naming it"], decision.Explain(request).WouldAllow);
    }

    [Fact]
    public void Decide_MostCautiousPermitWins_WhenAWaiverAndARequirementBothMatch()
    {
        var policy = Compile("""
            - id: waive
              effect: permit
              principals: [role:responder]
              actions: [refund]
              approval: none
            - id: check-notes
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { note: { eq: goodwill } }
              approvers: 2
            """);
        var plain = Refund(10);
        var goodwill = new PolicyRequest
        {
            AgentRole = "responder",
            Action = "refund",
            Parameters = new[] { PolicyArgument.Of("amount", 10), PolicyArgument.Of("currency", "EUR"), PolicyArgument.Of("note", "goodwill") },
        };

        Assert.Equal(PolicyOutcome.Allow, policy.Decide(plain).Outcome);
        var decision = policy.Decide(goodwill);
        Assert.Equal(PolicyOutcome.RequireApproval, decision.Outcome);
        Assert.Equal(2, decision.Approvers);
        Assert.Equal("check-notes", decision.ApprovalRuleId);
        Assert.Equal(["waive", "check-notes"], decision.RuleIds);
        Assert.Contains("2 distinct people from group:leads, user:lee", decision.Explain(goodwill).Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_SilentPermitAsksApproval_OnConsequentialActionOnly()
    {
        var policy = Compile("""
            - id: everything
              effect: permit
              principals: [role:responder]
              actions: ["*"]
            """);

        var refund = policy.Decide(Refund(10));
        var reply = policy.Decide(Call("reply", "responder", PolicyArgument.Of("body", "hi")));

        Assert.Equal(PolicyOutcome.RequireApproval, refund.Outcome);
        Assert.Equal(PolicyReason.ApprovalRequiredConsequential, refund.Reason);
        Assert.Equal(PolicyOutcome.Allow, reply.Outcome);
    }

    [Fact]
    public void Decide_ConditionDoesNotHold_WhenRequestLacksTheParameter()
    {
        var policy = Compile("""
            - id: small
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { amount: { lte: 50 } }
              approval: none
            - id: not-usd
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { currency: { ne: USD } }
              approval: none
            """);
        var noAmount = Call("refund", "responder", PolicyArgument.Of("order_id", "SO-1"));

        var decision = policy.Decide(noAmount);

        Assert.Equal(PolicyReason.NoRulePermits, decision.Reason);
        Assert.Contains(decision.Explain(noAmount).WouldAllow, s => s.Contains("when amount <= 50 (the call has no 'amount')", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_LogOnlyRuleDecidesNothing_ButReportsWhatItWouldHaveDecided()
    {
        var policy = Compile("""
            - id: refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
              approval: none
            - id: cap-refunds
              effect: forbid
              principals: ["*"]
              actions: [refund]
              when: { amount: { gt: 100 } }
              mode: log_only
            """);

        var big = policy.Decide(Refund(500));
        var small = policy.Decide(Refund(5));

        Assert.Equal(PolicyOutcome.Allow, big.Outcome);
        Assert.Equal(["refunds"], big.RuleIds);
        Assert.Equal(["cap-refunds"], big.LogOnlyRuleIds);
        Assert.True(big.LogOnlyWouldChange);
        Assert.Equal(PolicyOutcome.Deny, big.LogOnlyOutcome);
        Assert.Equal("log-only rule cap-refunds matched: enforced, it would have denied this call instead", big.Explain(Refund(500)).LogOnly);
        Assert.Empty(small.LogOnlyRuleIds);
        Assert.False(small.LogOnlyWouldChange);
    }

    [Fact]
    public void Decide_DeniesProhibitedAction_EvenWhenAPermitNamesIt()
    {
        var yaml = ManifestWith("""
            - id: anything
              effect: permit
              principals: ["*"]
              actions: ["*"]
              approval: none
            """);
        var policy = CompiledPolicy.Compile(Load(yaml));

        var decision = policy.Decide(Call("wipe"));

        Assert.Equal(PolicyReason.ProhibitedAction, decision.Reason);
        Assert.Equal(PolicyOutcome.Deny, decision.Outcome);
    }

    [Fact]
    public void Decide_DeniesUnknownAction_ListingDeclaredOnes()
    {
        var policy = Sample();
        var request = Call("refnd");

        var decision = policy.Decide(request);

        Assert.Equal(PolicyReason.UnknownAction, decision.Reason);
        Assert.Null(decision.Action);
        Assert.Equal(["declared actions: reply, close, escalate, refund"], decision.Explain(request).WouldAllow);
    }

    [Fact]
    public void Decide_MatchesPersonRoles_OnlyWhenAPersonCallsDirectly()
    {
        var policy = Compile("""
            - id: owners-refund
              effect: permit
              principals: [role:owner]
              actions: [refund]
              approval: none
            """);
        var person = new PolicyRequest { PersonRoles = new[] { "owner" }, Action = "refund", Parameters = new[] { PolicyArgument.Of("amount", 1) } };
        var agentForOwner = person with { AgentRole = "responder", ActorChain = new[] { "user:ann", "demo-desk/responder-1" } };

        Assert.Equal(PolicyOutcome.Allow, policy.Decide(person).Outcome);
        Assert.Equal(PolicyReason.NoRulePermits, policy.Decide(agentForOwner).Reason);
    }

    [Fact]
    public void Decide_TestsCaseAttributesAndTimeOfDay()
    {
        var policy = Compile("""
            - id: office-hours-vip
              effect: permit
              principals: [role:responder]
              actions: [reply]
              when: { case.tier: { eq: vip }, time.hour: { gte: 9, lt: 17 } }
            """);
        var request = new PolicyRequest
        {
            AgentRole = "responder",
            Action = "reply",
            CaseAttributes = new[] { PolicyArgument.Of("tier", "vip") },
            TimeOfDay = new TimeSpan(10, 30, 0),
        };

        Assert.Equal(PolicyOutcome.Allow, policy.Decide(request).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(request with { TimeOfDay = new TimeSpan(17, 0, 0) }).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(request with { TimeOfDay = null }).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(request with { CaseAttributes = new[] { PolicyArgument.Of("tier", "basic") } }).Outcome);
    }

    [Fact]
    public void Decide_MatchesBooleansAndInLists()
    {
        var policy = Compile("""
            - id: urgent-replies
              effect: permit
              principals: [role:responder]
              actions: [reply]
              when: { urgent: { eq: true } }
            - id: listed-currencies
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { currency: { in: [EUR] }, amount: { in: [5, 10] } }
              approval: none
            """);

        Assert.Equal(PolicyOutcome.Allow, policy.Decide(Call("reply", "responder", PolicyArgument.Of("urgent", true))).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(Call("reply", "responder", PolicyArgument.Of("urgent", false))).Outcome);
        Assert.Equal(PolicyOutcome.Allow, policy.Decide(Refund(10)).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(Refund(11)).Outcome);
        Assert.Equal(PolicyOutcome.Deny, policy.Decide(Refund(10, "USD")).Outcome);
    }

    [Fact]
    public void Decide_AllocatesNothing_OnceWarm()
    {
        var policy = Sample();
        var request = Refund(80);
        _ = policy.Decide(request);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var approvals = 0;
        for (var i = 0; i < 1000; i++)
        {
            approvals += policy.Decide(request).Approvers;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, approvals);
    }
}
