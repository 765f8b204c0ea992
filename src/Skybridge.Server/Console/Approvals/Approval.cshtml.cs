using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Approvals;
using Skybridge.Application.Tokens;
using Skybridge.Core.Access;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Approvals;

/// <summary>
/// One approval: everything the inbox shows, the case's draft with its citations, and the decision form. The form
/// carries the call digest this page showed; <see cref="ApprovalService.DecideAsync"/> refuses the decision if the
/// call awaiting approval is another one, so a person never approves a call they were not shown.
/// </summary>
public sealed class ApprovalModel : PageModel
{
    private readonly AccessService _access;
    private readonly ApprovalService _approvals;
    private readonly IActionStore _actions;
    private readonly ICaseStore _cases;
    private readonly IdentityState _state;
    private readonly TimeProvider _time;

    public ApprovalModel(AccessService access, ApprovalService approvals, IActionStore actions, ICaseStore cases, IdentityState state, TimeProvider time)
    {
        _access = access;
        _approvals = approvals;
        _actions = actions;
        _cases = cases;
        _state = state;
        _time = time;
    }

    public ApprovalCard? Card { get; private set; }

    /// <summary>The case's request and draft, or null when the case is not stored on this node.</summary>
    public DraftView? Draft { get; private set; }

    public bool CanDecide { get; private set; }

    /// <summary>What the decision did, in words (set after a post).</summary>
    public string? Outcome { get; private set; }

    /// <summary>The refusal's stable code, when the decision was refused.</summary>
    public string? RefusalCode { get; private set; }

    /// <summary>The comment as typed, kept when a decision is refused.</summary>
    public string? Comment { get; private set; }

    public async Task<IActionResult> OnGetAsync(string approvalId, CancellationToken cancellationToken)
    {
        // An approval past its expiry is closed before it is shown: never offered for a decision it can no longer take.
        await _approvals.ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        return await LoadAsync(approvalId, Permission.ReadApprovals, cancellationToken).ConfigureAwait(false) ?? Page();
    }

    public async Task<IActionResult> OnPostAsync(string approvalId, [FromForm] string? decision, [FromForm] string? callDigest, [FromForm] string? comment,
        CancellationToken cancellationToken)
    {
        var refused = await LoadAsync(approvalId, Permission.DecideApproval, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        Comment = comment;
        var verdict = decision switch
        {
            "approve" => ApprovalVerdict.Approve,
            "reject" => ApprovalVerdict.Reject,
            _ => (ApprovalVerdict?)null,
        };
        if (verdict is null)
        {
            (RefusalCode, Outcome) = ("invalid_decision", "Choose approve or reject.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var result = await _approvals.DecideAsync(approvalId, new Approver(PeopleSignIn.UserName(User)!, []), verdict.Value, callDigest ?? "",
            string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            (RefusalCode, Outcome) = (result.Refusal!.Code, result.Refusal.Message);
            Response.StatusCode = result.Refusal.Code switch
            {
                ApprovalService.NotFound => StatusCodes.Status404NotFound,
                ApprovalErrorCodes.NotEligible or ApprovalErrorCodes.SelfApproval => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status409Conflict,
            };
        }
        else
        {
            Comment = null;
            var action = result.Action!;
            Outcome = action.Status switch
            {
                ActionStatuses.Executed => "Approved and executed: the system of record did it.",
                ActionStatuses.Failed => "Approved, but the system of record did not do it: " + Describe(action.Detail),
                ActionStatuses.Rejected => "Rejected: the action will not run.",
                ActionStatuses.Held => "Approved; the workflow is halted, so the call is held until it resumes.",
                ActionStatuses.PendingApproval => "Your approval is recorded; the rule asks for more approvers.",
                _ => "Approved; the action is " + action.Status + ".",
            };
        }

        // Show the approval as it now stands (decided, executed or failed), not as it was before the post.
        await LoadAsync(approvalId, Permission.DecideApproval, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private static string Describe(JsonObject detail)
    {
        var parts = new[] { (string?)detail["error"], (string?)detail["message"], detail["status_code"] is { } s ? "HTTP " + s.ToJsonString() : null };
        var text = string.Join(" · ", parts.Where(p => !string.IsNullOrEmpty(p)));
        return text.Length > 0 ? text : "no answer";
    }

    /// <summary>Loads the approval after the access check on its workflow; a refusal result, or null when the page may show.</summary>
    private async Task<IActionResult?> LoadAsync(string approvalId, Permission permission, CancellationToken cancellationToken)
    {
        var approval = await _actions.GetApprovalAsync(approvalId, cancellationToken).ConfigureAwait(false);
        var action = approval is null ? null : await _actions.GetActionAsync(approval.ActionId, cancellationToken).ConfigureAwait(false);
        if (approval is null || action is null)
        {
            return NotFound();
        }

        var verdict = await _access.CheckAsync(User, permission, approval.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        CanDecide = permission == Permission.DecideApproval
            || await _access.CheckAsync(User, Permission.DecideApproval, approval.WorkflowId, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        Card = ApprovalCard.Of(approval, action, _time.GetUtcNow(), _state.Halt(approval.WorkflowId));
        var stored = await _cases.GetCaseAsync(approval.CaseId, cancellationToken).ConfigureAwait(false);
        Draft = stored is null ? null : DraftView.Of(stored);

        return null;
    }
}
