using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>A listed run: the stored row and its case counts.</summary>
public sealed record EvaluationRunRow(StoredEvaluationRun Run, int Cases, int Passed);

/// <summary>
/// A workflow's stored evaluation runs, newest first. Runs are evidence about manifest versions (activation asks for a
/// clearing run of the exact version), so the page needs what seeing a workflow's versions needs:
/// <see cref="Permission.ReadWorkflow"/>. They hold golden cases, which the team wrote, not submitted cases.
/// </summary>
public sealed class ListModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISkybridgeStore _store;

    public ListModel(AccessService access, ISkybridgeStore store)
    {
        _access = access;
        _store = store;
    }

    public string WorkflowId { get; private set; } = "";

    public IReadOnlyList<EvaluationRunRow> Runs { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        WorkflowId = id;
        var runs = await _store.ListEvaluationRunsAsync(id, cancellationToken).ConfigureAwait(false);
        Runs = [.. runs.OrderByDescending(r => r.StartedAt).Select(r =>
        {
            var (cases, passed) = StoredRunView.Counts(r);
            return new EvaluationRunRow(r, cases, passed);
        })];
        return Page();
    }
}
