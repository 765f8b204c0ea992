using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Core.Evaluation;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>
/// Two stored runs side by side, as <c>skybridge eval compare</c> shows them: the cases that newly fail or pass, the
/// metric deltas, and the exact McNemar test, so a significant drop shows even when the candidate clears the bar.
/// </summary>
public sealed class CompareModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISkybridgeStore _store;

    public CompareModel(AccessService access, ISkybridgeStore store)
    {
        _access = access;
        _store = store;
    }

    public StoredEvaluationRun? Baseline { get; private set; }

    public StoredEvaluationRun? Candidate { get; private set; }

    public RunComparison? Comparison { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? a, string? b, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b))
        {
            return BadRequest("Name the baseline (a) and the candidate (b) runs.");
        }

        Baseline = await _store.GetEvaluationRunAsync(a, cancellationToken).ConfigureAwait(false);
        Candidate = await _store.GetEvaluationRunAsync(b, cancellationToken).ConfigureAwait(false);
        if (Baseline is null || Candidate is null)
        {
            return NotFound();
        }

        // Each run is evidence about its own workflow: both must be readable.
        foreach (var run in new[] { Baseline, Candidate })
        {
            var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, run.WorkflowId, cancellationToken).ConfigureAwait(false);
            if (verdict != AccessVerdict.Allowed)
            {
                return ConsoleAccess.Refuse(verdict);
            }
        }

        Comparison = RunComparison.Compare(
            [.. EvaluationEvidence.CasesOf(Baseline).Select(c => c.Score)], [.. EvaluationEvidence.CasesOf(Candidate).Select(c => c.Score)]);
        return Page();
    }
}
