using Skybridge.Application.Accounts;
using Skybridge.Application.Actions;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// Approvals whose authority is a group: who may decide is read from the stored memberships at each decision, so a
/// local account in the group may approve, and someone removed from it may not from the next decision on, whatever
/// groups their (older) session still carries.
/// </summary>
public sealed class GroupApprovalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Decide_ByAGroupMember_Approves_AndAfterRemoval_TheNextDecisionIsRefused_WithoutSigningOut()
    {
        await using var f = await ActionFixture.StartAsync(refundApprovers: "group:support-leads");
        var accounts = new AccountService(f.Store, TimeProvider.System, f.Ledger);
        await accounts.CreateUserAsync("seed", "lee", "Lee", "correct horse battery staple", Ct);
        Assert.Equal(GroupAddOutcome.Added, await f.Groups.AddAsync("admin", "support-leads", "lee", Ct));
        var first = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(120, "k1"), Ct)).Answer!;
        var second = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(80, "k2", "case-2"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.PendingApproval, first.Status);
        Assert.Equal(ActionStatuses.PendingApproval, second.Status);

        // A local account carries no groups of its own: the store says lee is a support lead.
        var approved = await f.Approvals.DecideAsync(first.ApprovalId!, new Approver("lee", []), ApprovalVerdict.Approve, first.CallDigest, "checked", null, Ct);
        Assert.True(approved.Succeeded, approved.Refusal?.Message);
        Assert.Equal(ActionStatuses.Executed, approved.Action!.Status);

        Assert.Equal(GroupRemoveOutcome.Removed, await f.Groups.RemoveAsync("admin", "support-leads", "lee", Ct));

        // Even a caller that still claims the group (a session from before the removal) is refused at once.
        var refused = await f.Approvals.DecideAsync(second.ApprovalId!, new Approver("lee", ["support-leads"]), ApprovalVerdict.Approve, second.CallDigest, null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.NotEligible, refused.Refusal!.Code);
        Assert.False(f.System.CallsByKey.ContainsKey(second.ActionId));
        Assert.Equal(ApprovalStatuses.Pending, (await f.Store.GetApprovalAsync(second.ApprovalId!, Ct))!.Status);
    }
}
