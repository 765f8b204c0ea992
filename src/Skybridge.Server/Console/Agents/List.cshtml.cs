using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Agents;
using Skybridge.Core.Access;

namespace Skybridge.Server.Console.Agents;

/// <summary>
/// A workflow's agents (role, client id, key thumbprints, status, when registered) with the permission the agent
/// API lists them under, and, for those who may read case trails (the ledger's accountability record), each agent's
/// recent events from the ledger, linked to their cases.
/// </summary>
public sealed class ListModel : PageModel
{
    private readonly AccessService _access;
    private readonly AgentActivity _activity;

    public ListModel(AccessService access, AgentActivity activity)
    {
        _access = access;
        _activity = activity;
    }

    public string WorkflowId { get; private set; } = "";

    public WorkflowAgentsView View { get; private set; } = new([], 0, true);

    /// <summary>Whether the viewer sees the agents' ledger activity.</summary>
    public bool ShowsActivity { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        WorkflowId = id;
        ShowsActivity = await _access.CheckAsync(User, Permission.ReadCaseTrail, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        View = await _activity.ListAsync(id, ShowsActivity, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
