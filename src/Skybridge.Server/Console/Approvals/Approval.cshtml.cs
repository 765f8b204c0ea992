using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Application.Tokens;
using Skybridge.Core.Access;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Approvals;

/// <summary>One parameter of an edited call beside the call it replaced (values as JSON text; null where absent).</summary>
public sealed record ParameterChange(string Name, string? Before, string? After)
{
    public bool Changed => Before != After;

    /// <summary>Every parameter of either call (canonical JSON objects), before and after.</summary>
    public static IReadOnlyList<ParameterChange> Between(string beforeJson, string afterJson)
    {
        var before = System.Text.Json.Nodes.JsonNode.Parse(beforeJson)!.AsObject();
        var after = System.Text.Json.Nodes.JsonNode.Parse(afterJson)!.AsObject();
        return [.. before.Select(p => p.Key).Union(after.Select(p => p.Key), StringComparer.Ordinal)
            .Select(name => new ParameterChange(name, before[name]?.ToJsonString(), after[name]?.ToJsonString()))];
    }
}

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

    /// <summary>For a refusal of edited parameters: every schema problem (code, parameter, message).</summary>
    public IReadOnlyList<(string Code, string? Parameter, string? Message)> Problems { get; private set; } = [];

    /// <summary>The edited values as typed, kept when an edit is refused; otherwise the form shows the call's.</summary>
    public IReadOnlyDictionary<string, string> EditedValues { get; private set; } = new Dictionary<string, string>();

    /// <summary>When this approval's call is an edit of an earlier one: that call (its approval was approved with edits).</summary>
    public StoredAction? EditedFrom { get; private set; }

    /// <summary>For an edited call: each parameter before and after the edit.</summary>
    public IReadOnlyList<ParameterChange> Changes { get; private set; } = [];

    /// <summary>After an approve-with-edits decision: the new call as policy decided it.</summary>
    public ActionAnswer? Successor { get; private set; }

    /// <summary>The value a parameter's edit field shows: what was typed after a refusal, else the call's value as text.</summary>
    public string EditValue(string name, string json) =>
        EditedValues.TryGetValue(name, out var typed) ? typed : JsonNode.Parse(json) is JsonValue v && v.TryGetValue<string>(out var text) ? text : json;

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
            "approve_with_edits" => ApprovalVerdict.ApproveWithEdits,
            _ => (ApprovalVerdict?)null,
        };
        if (verdict is null)
        {
            (RefusalCode, Outcome) = ("invalid_decision", "Choose approve, reject or approve with edits.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        JsonObject? edited = null;
        if (verdict == ApprovalVerdict.ApproveWithEdits)
        {
            var typed = Request.Form.Where(f => f.Key.StartsWith(ParamPrefix, StringComparison.Ordinal))
                .ToDictionary(f => f.Key[ParamPrefix.Length..], f => f.Value.ToString(), StringComparer.Ordinal);
            EditedValues = typed;
            edited = EditedParameters(Card!.Action.Parameters, typed);
        }

        var result = await _approvals.DecideAsync(approvalId, new Approver(PeopleSignIn.UserName(User)!, []), verdict.Value, callDigest ?? "",
            string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), edited, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            (RefusalCode, Outcome) = (result.Refusal!.Code, result.Refusal.Message);
            Problems = [.. (result.Problems ?? []).OfType<JsonObject>().Select(p => ((string?)p["code"] ?? "", (string?)p["parameter"], (string?)p["message"]))];
            Response.StatusCode = result.Refusal.Code switch
            {
                ApprovalService.NotFound => StatusCodes.Status404NotFound,
                ApprovalErrorCodes.NotEligible or ApprovalErrorCodes.SelfApproval => StatusCodes.Status403Forbidden,
                ActionCodes.InvalidParameters or ApprovalErrorCodes.InvalidEdits => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status409Conflict,
            };
        }
        else if (verdict == ApprovalVerdict.ApproveWithEdits)
        {
            Comment = null;
            EditedValues = new Dictionary<string, string>();
            Successor = result.Action;
            Outcome = result.Action?.Status switch
            {
                ActionStatuses.Executed => "Approved with edits: policy allowed the edited call, and the system of record did it.",
                ActionStatuses.Failed => "Approved with edits: policy allowed the edited call, but the system of record did not do it: " + Describe(result.Action.Detail),
                ActionStatuses.PendingApproval => "Approved with edits: the edited call is a new request that needs another eligible person's approval (you asked for it, so not yours).",
                ActionStatuses.Denied => "Approved with edits, but policy denies the edited call: " + (string?)result.Action.Detail["summary"],
                var status => "Approved with edits: the edited call is " + status + ".",
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

    /// <summary>The prefix of the edit form's parameter fields (<c>param.amount</c>).</summary>
    public const string ParamPrefix = "param.";

    /// <summary>
    /// The edited parameters, typed like the call's values (a number stays a number when the field holds one; text
    /// that is not a number is sent as text, so the schema check names the problem rather than this page guessing).
    /// </summary>
    private static JsonObject EditedParameters(string canonical, IReadOnlyDictionary<string, string> typed)
    {
        var current = JsonNode.Parse(canonical)!.AsObject();
        var edited = new JsonObject();
        foreach (var (name, value) in current)
        {
            if (!typed.TryGetValue(name, out var text))
            {
                edited[name] = value?.DeepClone();
                continue;
            }

            text = text.Trim();
            edited[name] = value?.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.Number when decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) =>
                    JsonNode.Parse(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False when bool.TryParse(text, out var b) => JsonValue.Create(b),
                System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => JsonValue.Create(text),
                _ => JsonNode.Parse(text),
            };
        }

        return edited;
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
        EditedFrom = await _approvals.EditedFromAsync(action, cancellationToken).ConfigureAwait(false);
        if (EditedFrom is not null)
        {
            Changes = ParameterChange.Between(EditedFrom.Parameters, action.Parameters);
        }

        var stored = await _cases.GetCaseAsync(approval.CaseId, cancellationToken).ConfigureAwait(false);
        Draft = stored is null ? null : DraftView.Of(stored);

        return null;
    }
}
