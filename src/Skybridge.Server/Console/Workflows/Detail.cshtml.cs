using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Core.Access;
using Skybridge.Application.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Workflows;

/// <summary>One workflow: active version, autonomy level, manifest and activation history.</summary>
public sealed class DetailModel : PageModel
{
    private readonly AccessService _access;
    private readonly IWorkflowStore _store;

    private readonly IActionStore _actions;
    private readonly TimeProvider _time;

    public DetailModel(AccessService access, IWorkflowStore store, IActionStore actions, TimeProvider time)
    {
        _time = time;
        _access = access;
        _store = store;
        _actions = actions;
    }

    public WorkflowSummary? Workflow { get; private set; }
    public IReadOnlyList<ManifestVersion> Versions { get; private set; } = [];
    public IReadOnlyList<Activation> Activations { get; private set; } = [];
    public bool CanReadManifest { get; private set; }

    /// <summary>How many approvals wait for a person, for those who may read approvals; null hides the inbox link.</summary>
    public int? PendingApprovals { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Workflow = await _store.GetWorkflowAsync(id, cancellationToken).ConfigureAwait(false);
        Versions = await _store.ListVersionsAsync(id, cancellationToken).ConfigureAwait(false);
        Activations = await _store.ListActivationsAsync(id, cancellationToken).ConfigureAwait(false);
        CanReadManifest = await _access.CheckAsync(User, Permission.ReadManifest, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        if (await _access.CheckAsync(User, Permission.ReadApprovals, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed)
        {
            PendingApprovals = (await _actions.ListApprovalsAsync(new ApprovalQuery { WorkflowId = id, Status = ApprovalStatuses.Pending, Limit = 1000 }, cancellationToken).ConfigureAwait(false))
                .Count(a => a.ExpiresAt > _time.GetUtcNow());
        }

        return Page();
    }
}
