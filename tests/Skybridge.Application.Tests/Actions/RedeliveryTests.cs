using System.Text.Json;
using Skybridge.Application.Actions;
using Skybridge.Application.Connectors;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// An approved call the system of record could not take for a passing reason (it could not check this node's token yet,
/// it was unreachable) is not lost: it goes back to the outbox and runs once, later. Found by
/// the exactly-once benchmark: with the node SIGKILLed at random moments, 50 of 1,000 approved refunds ended failed with
/// a 401 from a system whose fetch of the node's keys had met the dead node (and 2 more for want of a connector token
/// before the restarted node listened: the outbox now waits for the node to serve).
/// </summary>
public sealed class RedeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Approver Lee = new("lee", []);

    private static ConnectorResult Refused(int status) => new()
    {
        Outcome = ConnectorOutcome.Refused,
        KnownNotExecuted = true,
        StatusCode = status,
        ErrorCode = ConnectorErrors.Refused,
        Message = $"'billing' refused the call (HTTP {status}).",
        Body = JsonDocument.Parse("""{"code":"invalid_token"}""").RootElement,
        Attempts = 1,
    };

    private static async Task<(ActionFixture Fixture, string ActionId, StoredAction? AfterApproval)> ApprovedRefundAsync(Func<int, ConnectorResult?> answer)
    {
        var f = await ActionFixture.StartAsync();
        var calls = 0;
        f.System.Answer = _ => answer(Interlocked.Increment(ref calls))!;
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(500, "k1"), Ct)).Answer!;
        var decided = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct);
        Assert.True(decided.Succeeded, decided.Refusal?.Message);
        return (f, pending.ActionId, await f.Store.GetActionAsync(pending.ActionId, Ct));
    }

    [Fact]
    public async Task Approve_SystemRefusesTheTokenOnce_TheCallWaitsInTheOutbox_ThenRunsOnce()
    {
        var (f, id, after) = await ApprovedRefundAsync(n => n == 1 ? Refused(401) : null);
        await using var _ = f;
        Assert.Equal(ActionStatuses.Approved, after!.Status);
        Assert.Contains("\"delivery_attempts\":1", after.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await f.TrailAsync(), e => e.Type == "action.executed");
        // The refused attempt is in the case's trail, with what the system answered.
        var deferred = Assert.Single(await f.TrailAsync(), e => e.Type == "action.deferred");
        Assert.Contains("\"status_code\":401", deferred.Body, StringComparison.Ordinal);

        // The outbox's next pass: the same action, the same key, and this time the system takes it.
        var done = await f.Executor.ExecuteAsync(id, Ct);
        Assert.Equal(ActionStatuses.Executed, done!.Status);
        Assert.Equal(2, f.System.CallsByKey[id]);
        Assert.Single(await f.TrailAsync(), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task Approve_SystemUnreachableOnce_TheCallWaitsInTheOutbox_ThenRunsOnce()
    {
        // Connection refused: the system is restarting. Nothing reached it, so sending again cannot do it twice.
        var (f, id, after) = await ApprovedRefundAsync(n => n == 1
            ? new ConnectorResult { Outcome = ConnectorOutcome.Failed, KnownNotExecuted = true, ErrorCode = ConnectorErrors.Unavailable, Message = "'billing' could not be reached (ConnectionError).", Attempts = 1 }
            : null);
        await using var _ = f;
        Assert.Equal(ActionStatuses.Approved, after!.Status);
        Assert.Equal(ActionStatuses.Executed, (await f.Executor.ExecuteAsync(id, Ct))!.Status);
        Assert.Single(await f.TrailAsync(), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task Approve_NoCredentialForTheConnector_FailsAtOnce()
    {
        // An audience this node does not mint for is configuration: waiting does not change it.
        var (f, id, after) = await ApprovedRefundAsync(_ => ConnectorResult.NotSent(ConnectorErrors.CredentialUnavailable, "No credential could be had for connector 'billing'."));
        await using var _ = f;
        Assert.Equal(ActionStatuses.Failed, after!.Status);
        Assert.Equal(1, f.System.CallsByKey[id]);
    }

    [Fact]
    public async Task Approve_TokenRefusedEveryTime_FailsAfterTheLastAttempt_WithOneResultInTheLedger()
    {
        var (f, id, after) = await ApprovedRefundAsync(_ => Refused(401));
        await using var _ = f;
        for (var attempt = 2; attempt < ActionExecutor.MaxDeliveryAttempts; attempt++)
        {
            Assert.Equal(ActionStatuses.Approved, (await f.Executor.ExecuteAsync(id, Ct))!.Status);
        }

        var last = await f.Executor.ExecuteAsync(id, Ct);
        Assert.Equal(ActionStatuses.Failed, last!.Status);
        Assert.Equal(ActionExecutor.MaxDeliveryAttempts, f.System.CallsByKey[id]);
        Assert.Equal(ActionExecutor.MaxDeliveryAttempts - 1, (await f.TrailAsync()).Count(e => e.Type == "action.deferred"));
        Assert.Single(await f.TrailAsync(), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task Approve_SystemRefusesTheCallItself_FailsAtOnce()
    {
        // 422 refund_exceeds_order: the system looked at the call and said no; sending it again would not change that.
        var (f, id, after) = await ApprovedRefundAsync(_ => Refused(422));
        await using var _ = f;
        Assert.Equal(ActionStatuses.Failed, after!.Status);
        Assert.Equal(1, f.System.CallsByKey[id]);
    }
}
