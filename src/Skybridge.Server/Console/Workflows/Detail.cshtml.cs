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

    public DetailModel(AccessService access, IWorkflowStore store)
    {
        _access = access;
        _store = store;
    }

    public WorkflowSummary? Workflow { get; private set; }
    public IReadOnlyList<ManifestVersion> Versions { get; private set; } = [];
    public IReadOnlyList<Activation> Activations { get; private set; } = [];
    public bool CanReadManifest { get; private set; }

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
        return Page();
    }
}
