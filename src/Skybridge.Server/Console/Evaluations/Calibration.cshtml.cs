using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>
/// One stored sweep: the trade-off chart (accuracy on answered cases with its interval against the share answered, a
/// series per top_k), the table <c>eval calibrate</c> prints, and the recommendation or the closest setting and what it fails.
/// </summary>
public sealed class CalibrationModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISkybridgeStore _store;

    public CalibrationModel(AccessService access, ISkybridgeStore store)
    {
        _access = access;
        _store = store;
    }

    public CalibrationView? View { get; private set; }

    /// <summary>The chart: SVG built from numbers and fixed labels only.</summary>
    public string ChartSvg { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string calId, CancellationToken cancellationToken)
    {
        var stored = await _store.GetCalibrationAsync(calId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return NotFound();
        }

        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, stored.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        View = CalibrationEvidence.View(stored);
        ChartSvg = CalibrationChart.Svg(View);
        return Page();
    }
}
