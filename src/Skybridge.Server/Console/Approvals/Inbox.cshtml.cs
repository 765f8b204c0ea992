using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Approvals;
using Skybridge.Application.Tokens;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Approvals;

/// <summary>
/// A workflow's approvals inbox: what waits for a person (each with what it would run and why it waits) and what was
/// decided lately. Listing goes through <see cref="ApprovalService"/>, so approvals past their expiry are closed first
/// and never shown as decidable.
/// </summary>
public sealed class InboxModel : PageModel
{
    /// <summary>How many decided approvals the inbox shows.</summary>
    public const int RecentlyDecided = 20;

    private readonly AccessService _access;
    private readonly ApprovalService _approvals;
    private readonly IActionStore _actions;
    private readonly IdentityState _state;
    private readonly TimeProvider _time;

    public InboxModel(AccessService access, ApprovalService approvals, IActionStore actions, IdentityState state, TimeProvider time)
    {
        _access = access;
        _approvals = approvals;
        _actions = actions;
        _state = state;
        _time = time;
    }

    public string WorkflowId { get; private set; } = "";

    public IReadOnlyList<ApprovalCard> Pending { get; private set; } = [];

    public IReadOnlyList<ApprovalCard> Decided { get; private set; } = [];

    public WorkflowHalt? Halt { get; private set; }

    public bool CanDecide { get; private set; }

    /// <summary>Pending approvals of edited calls: the call each replaces, and what the edit changed.</summary>
    public IReadOnlyDictionary<string, (StoredAction Original, IReadOnlyList<ParameterChange> Changes)> Edited { get; private set; } =
        new Dictionary<string, (StoredAction, IReadOnlyList<ParameterChange>)>();

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadApprovals, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        WorkflowId = id;
        Halt = _state.Halt(id);
        CanDecide = await _access.CheckAsync(User, Permission.DecideApproval, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        var now = _time.GetUtcNow();
        var all = await _approvals.ListAsync(new ApprovalQuery { WorkflowId = id, Limit = 500 }, cancellationToken).ConfigureAwait(false);
        var cards = new List<ApprovalCard>(all.Count);
        foreach (var approval in all.Where(a => a.Status == ApprovalStatuses.Pending)
                     .Concat(all.Where(a => a.Status != ApprovalStatuses.Pending).OrderByDescending(a => a.ClosedAt ?? a.CreatedAt).Take(RecentlyDecided)))
        {
            var action = await _actions.GetActionAsync(approval.ActionId, cancellationToken).ConfigureAwait(false);
            if (action is not null)
            {
                cards.Add(ApprovalCard.Of(approval, action, now, Halt));
            }
        }

        Pending = [.. cards.Where(c => c.IsPending)];
        // An edited call says so in the list, with what changed: the person deciding it sees it is not the agent's call.
        var edited = new Dictionary<string, (StoredAction, IReadOnlyList<ParameterChange>)>(StringComparer.Ordinal);
        foreach (var card in Pending)
        {
            if (await _approvals.EditedFromAsync(card.Action, cancellationToken).ConfigureAwait(false) is { } original)
            {
                edited[card.Approval.Id] = (original, ParameterChange.Between(original.Parameters, card.Action.Parameters));
            }
        }

        Edited = edited;
        Decided = [.. cards.Where(c => !c.IsPending)];
        return Page();
    }
}
