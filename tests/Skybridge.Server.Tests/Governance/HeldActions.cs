using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>Actions and approvals written as the action path leaves them, for tests of what a halt does to them.</summary>
internal static class HeldActions
{
    public static async Task<string> CaseAsync(RunningServer server)
    {
        var id = "case-" + Guid.NewGuid().ToString("N")[..12];
        await server.Store.SaveCaseAsync(new StoredCase(id, RunningServer.Workflow, "seed", "Please refund my order SO-000004", "{}", false, DateTimeOffset.UtcNow));
        return id;
    }

    /// <summary>A refund with <paramref name="status"/> (approved: queued for the outbox), and its approval when pending.</summary>
    public static async Task<StoredAction> ActionAsync(RunningServer server, string caseId, string requester, string status, double amount = 80)
    {
        var id = "act-" + Guid.NewGuid().ToString("N")[..16];
        var now = DateTimeOffset.UtcNow;
        var parameters = $$"""{"amount":{{amount}},"currency":"EUR","order_id":"SO-000004"}""";
        var action = new StoredAction
        {
            Id = id,
            WorkflowId = RunningServer.Workflow,
            ManifestVersion = 1,
            CaseId = caseId,
            Action = "refund",
            Parameters = parameters,
            CallDigest = TextDigest.Sha256(id),
            Requester = requester,
            RequesterKey = "jkt",
            IdempotencyKey = id,
            Status = status,
            Detail = "{}",
            ApprovalId = status == ActionStatuses.PendingApproval ? "apr-" + id[4..] : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        List<RecordedRow> rows = [new ActionRecordedRow(action)];
        if (action.ApprovalId is { } approvalId)
        {
            rows.Add(new ApprovalRecordedRow(new StoredApproval
            {
                Id = approvalId,
                ActionId = id,
                WorkflowId = RunningServer.Workflow,
                CaseId = caseId,
                Action = "refund",
                CallDigest = action.CallDigest,
                Status = ApprovalStatuses.Pending,
                RequiredApprovers = 1,
                Eligible = """["user:approver"]""",
                Requesters = "[]",
                Revision = 1,
                CreatedAt = now,
                ExpiresAt = now.AddHours(1),
            }));
        }

        await server.Services.GetRequiredService<ILedger>().AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.ActionProposed,
            Actors = [LedgerActor.Agent(requester)],
            WorkflowId = RunningServer.Workflow,
            CaseId = caseId,
            Resource = new LedgerResource("action", id),
            Outcome = "proposed",
        }], rows, TestContext.Current.CancellationToken);
        return action;
    }

    /// <summary>Polls <paramref name="probe"/> until it is true or <paramref name="deadline"/> passes; returns how long it took, or null.</summary>
    public static async Task<TimeSpan?> WithinAsync(TimeSpan deadline, Func<Task<bool>> probe)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            if (await probe())
            {
                return clock.Elapsed;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        return await probe() ? clock.Elapsed : null;
    }
}
