using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Core.Governance.Budgets;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Actions;

/// <summary>
/// After policy, before anything is written: the manifest's budgets. A proposal that policy lets through (to run now,
/// or to wait for approval) is charged to every budget that covers its action; one that would go over a budget is
/// denied with <c>budget_exhausted</c>, naming the budget, its limit, what is left and when the window resets.
/// </summary>
/// <remarks>
/// The charge is a <see cref="BudgetSpendRow"/> written in the proposal's own ledger transaction, so a proposal and its
/// charge are recorded together or not at all, and the database's conditional upsert keeps every node within the
/// limit. The read here only makes the common denial explainable; if another node spends the rest between this read
/// and the write, the write fails, nothing is recorded, and <see cref="ActionPipeline"/> decides the proposal again.
/// A pending approval is charged when it is proposed (a reservation) and given back if it is rejected or expires, so
/// approving later can never overspend a window that filled up meanwhile.
/// </remarks>
public sealed class BudgetStep(IBudgetStore store) : ActionStep
{
    /// <inheritdoc />
    public override async Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var budgets = context.Active!.Manifest.Budgets;
        var recorded = context.Rows.OfType<ActionRecordedRow>().LastOrDefault();
        // A held action re-checked after a resume already holds its share from when it was proposed.
        if (context.Rechecking || budgets.Count == 0 || recorded is null || recorded.Action.Status is not (ActionStatuses.Approved or ActionStatuses.PendingApproval))
        {
            return await NextAsync(context, cancellationToken).ConfigureAwait(false);
        }

        var spends = new List<BudgetSpend>();
        foreach (var budget in budgets)
        {
            if (!budget.Covers(context.Proposal.Action))
            {
                continue;
            }

            var key = new BudgetWindowKey(context.Proposal.WorkflowId, budget.Name, BudgetWindows.SubjectOf(budget, context.Proposal.Requester),
                BudgetWindows.StartOf(context.Now, budget.Period));
            var amount = AmountOf(budget, context.Parameters!);
            var limit = BudgetWindows.LimitUnits(budget);
            var used = await store.GetBudgetUsedAsync(key, cancellationToken).ConfigureAwait(false);
            if (used + amount > limit)
            {
                return Deny(context, recorded.Action, budget, key, used, amount, limit);
            }

            spends.Add(new BudgetSpend(key, amount, limit, context.ActionId));
        }

        if (spends.Count > 0)
        {
            context.Rows.Add(new BudgetSpendRow(spends));
        }

        return await NextAsync(context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One call, or the summed parameter. A missing parameter counts 0 and a negative one counts 0 too: a call may
    /// use a budget, never add to it.
    /// </summary>
    internal static long AmountOf(Budget budget, JsonObject parameters)
    {
        if (budget.Sum is null)
        {
            return BudgetWindows.UnitsPerOne;
        }

        var value = parameters[budget.Sum];
        return value is not null && value.GetValueKind() == JsonValueKind.Number ? Math.Max(0, BudgetWindows.ToUnits(value.GetValue<double>())) : 0;
    }

    private static ActionResult Deny(ActionContext context, StoredAction proposed, Budget budget, BudgetWindowKey key, long used, long amount, long limit)
    {
        var left = Math.Max(0, limit - used);
        var resets = key.WindowStart + budget.Period;
        var what = budget.Sum is null ? "calls" : $"of '{budget.Sum}'";
        var whose = budget.Per == BudgetScope.Agent ? $"for agent {key.Subject}" : "for the workflow";
        var facts = new JsonObject
        {
            ["name"] = budget.Name,
            ["action"] = budget.Action,
            ["per"] = budget.Per.ToString().ToLowerInvariant(),
            ["subject"] = key.Subject,
            ["sum"] = budget.Sum,
            ["limit"] = budget.Limit,
            ["used"] = BudgetWindows.FromUnits(used),
            ["left"] = BudgetWindows.FromUnits(left),
            ["requested"] = BudgetWindows.FromUnits(amount),
            ["period"] = BudgetWindows.Format(budget.Period),
            ["window_start"] = LedgerEventFormat.FormatTime(key.WindowStart),
            ["resets"] = LedgerEventFormat.FormatTime(resets),
        };

        // Keep policy's explanation (what it would have allowed), and say why it still does not run.
        var detail = proposed.Detail is null ? new JsonObject() : JsonNode.Parse(proposed.Detail)!.AsObject();
        detail["code"] = ActionCodes.BudgetExhausted;
        detail["disposition"] = "deny";
        detail["summary"] = string.Create(CultureInfo.InvariantCulture,
            $"Budget '{budget.Name}' allows at most {budget.Limit} {what} per {BudgetWindows.Format(budget.Period)} {whose}; {BudgetWindows.FromUnits(left)} left until {LedgerEventFormat.FormatTime(resets)}, and this call needs {BudgetWindows.FromUnits(amount)}.");
        detail["budget"] = facts;

        // Nothing of the allowed or pending outcome stays: no approval is opened, nothing is queued.
        var denied = proposed with { Status = ActionStatuses.Denied, Detail = detail.ToJsonString(), ApprovalId = null };
        context.Rows.RemoveAll(r => r is ActionRecordedRow or ApprovalRecordedRow);
        context.Trail.RemoveAll(e => e.Type == LedgerEventTypes.ApprovalRequested);
        context.Rows.Add(new ActionRecordedRow(denied));
        context.Trail.Add(new LedgerEntry
        {
            Type = LedgerEventTypes.BudgetExhausted,
            Actors = context.Proposal.Actors,
            WorkflowId = context.Proposal.WorkflowId,
            WorkflowVersion = context.Active!.Version,
            CaseId = context.Proposal.CaseId,
            Resource = new LedgerResource("action", context.ActionId),
            Outcome = "deny",
            Content = facts.DeepClone().AsObject(),
        });
        return ActionResult.Of(ActionAnswers.Of(denied));
    }
}
