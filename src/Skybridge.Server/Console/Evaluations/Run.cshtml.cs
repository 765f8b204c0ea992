using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>
/// One stored run, shown with the report <c>eval run --out</c> writes (its verdict per criterion with intervals, the
/// per-tag chart, the latency histogram, every case with its failed checks) inside the console's layout.
/// </summary>
public sealed class RunModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISkybridgeStore _store;

    public RunModel(AccessService access, ISkybridgeStore store)
    {
        _access = access;
        _store = store;
    }

    public StoredEvaluationRun? Run { get; private set; }

    /// <summary>The report's body: HTML the report generator encoded (every text from the run is escaped there).</summary>
    public string ReportHtml { get; private set; } = "";

    /// <summary>True when the verdict computed again from the stored cases and bar is not the stored one (a scoring change since).</summary>
    public bool VerdictDiffers { get; private set; }

    public async Task<IActionResult> OnGetAsync(string runId, CancellationToken cancellationToken)
    {
        var stored = await _store.GetEvaluationRunAsync(runId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return NotFound();
        }

        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, stored.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Run = stored;
        var run = StoredRunView.ToRun(stored);
        VerdictDiffers = (run.Verdict.Clears ? StoredEvaluationRun.Clears : StoredEvaluationRun.Fails) != stored.Verdict;
        ReportHtml = EvaluationReports.HtmlReportBody(run);
        return Page();
    }
}
