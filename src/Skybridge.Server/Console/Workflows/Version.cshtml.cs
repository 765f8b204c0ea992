using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Core.Access;
using Skybridge.Application.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Workflows;

/// <summary>One manifest version's YAML, exactly as published.</summary>
public sealed class VersionModel : PageModel
{
    private readonly AccessService _access;
    private readonly IWorkflowStore _store;

    public VersionModel(AccessService access, IWorkflowStore store)
    {
        _access = access;
        _store = store;
    }

    public ManifestVersion? Manifest { get; private set; }

    /// <summary>This version's newest gated activation (the run it cleared, or the override and its reason), or null.</summary>
    public Activation? Gate { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, int version, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadManifest, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Manifest = await _store.GetVersionAsync(id, version, cancellationToken).ConfigureAwait(false);
        Gate = Skybridge.Application.Manifests.ActivationBases.ByVersion(await _store.ListActivationsAsync(id, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(version);
        return Manifest is null ? NotFound() : Page();
    }
}
