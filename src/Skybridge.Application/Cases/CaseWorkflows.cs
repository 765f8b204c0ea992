using System.Collections.Concurrent;
using Skybridge.Storage;

namespace Skybridge.Application.Cases;

/// <summary>
/// Which workflow a case belongs to, for the access check on every call about it (an agent proposing an action, a
/// person reading a trail). A case never moves to another workflow, so the answer is kept in memory once read; the
/// memory is bounded (emptied when full) and an unknown case is never remembered, so it is found once it exists.
/// </summary>
public sealed class CaseWorkflows
{
    /// <summary>At most this many cases are remembered.</summary>
    public const int Capacity = 100_000;

    private readonly ICaseStore _store;
    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);

    /// <summary>Cases of <paramref name="store"/>.</summary>
    public CaseWorkflows(ICaseStore store) => _store = store;

    /// <summary>The case's workflow, or null when there is no such case.</summary>
    public async ValueTask<string?> WorkflowOfAsync(string caseId, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(caseId, out var workflow))
        {
            return workflow;
        }

        workflow = await _store.GetCaseWorkflowAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (workflow is not null)
        {
            if (_known.Count >= Capacity)
            {
                _known.Clear();
            }

            _known[caseId] = workflow;
        }

        return workflow;
    }
}
