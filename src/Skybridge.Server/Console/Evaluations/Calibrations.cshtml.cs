using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>
/// A workflow's stored calibration sweeps (<c>skybridge eval calibrate</c> with a store), newest first. The node holds no
/// golden set files, so the console shows what was stored. Evidence about manifest versions, like evaluation runs:
/// <see cref="Permission.ReadWorkflow"/>.
/// </summary>
public sealed class CalibrationsModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISkybridgeStore _store;

    public CalibrationsModel(AccessService access, ISkybridgeStore store)
    {
        _access = access;
        _store = store;
    }

    public string WorkflowId { get; private set; } = "";

    public IReadOnlyList<CalibrationView> Sweeps { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        WorkflowId = id;
        var sweeps = await _store.ListCalibrationsAsync(id, cancellationToken).ConfigureAwait(false);
        Sweeps = [.. sweeps.Select(CalibrationEvidence.View)];
        return Page();
    }
}
