using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Cases;
using Skybridge.Core.Access;

namespace Skybridge.Server.Console.Cases;

/// <summary>
/// One case: the request and its draft with the cited passages, every action proposed for it (status, the policy's
/// explanation, the approval's decisions, the system's answer) and its ledger trail, each event's inclusion proof
/// checked against the newest signed checkpoint. The draft and actions need the case permission; decisions need the
/// approvals permission and the trail the case trail permission, as in the API.
/// </summary>
public sealed class CaseModel : PageModel
{
    private readonly AccessService _access;
    private readonly CaseViews _cases;
    private readonly TimeProvider _time;

    public CaseModel(AccessService access, CaseViews cases, TimeProvider time)
    {
        _access = access;
        _cases = cases;
        _time = time;
    }

    public CaseDetail? Detail { get; private set; }

    public DraftView? Draft { get; private set; }

    public IReadOnlyList<CaseActionPanel> Actions { get; private set; } = [];

    /// <summary>The trail, for those who may read it; null otherwise.</summary>
    public CaseTrailView? Trail { get; private set; }

    public async Task<IActionResult> OnGetAsync(string caseId, CancellationToken cancellationToken)
    {
        var detail = await _cases.GetAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (detail is null)
        {
            return NotFound();
        }

        var workflow = detail.Case.WorkflowId;
        var verdict = await _access.CheckAsync(User, Permission.ReadCase, workflow, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Detail = detail;
        Draft = DraftView.Of(detail.Case);
        var mayReadApprovals = await _access.CheckAsync(User, Permission.ReadApprovals, workflow, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        var now = _time.GetUtcNow();
        Actions = [.. detail.Actions.Select(a => CaseActionPanel.Of(a, mayReadApprovals, now))];
        if (await _access.CheckAsync(User, Permission.ReadCaseTrail, workflow, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed)
        {
            Trail = await _cases.TrailAsync(caseId, cancellationToken).ConfigureAwait(false);
        }

        return Page();
    }
}
