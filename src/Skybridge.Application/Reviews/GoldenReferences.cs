using System.Collections.Concurrent;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Manifests;
using Skybridge.Core.Evaluation;
using Skybridge.Storage;

namespace Skybridge.Application.Reviews;

/// <summary>
/// The golden cases live review compares a case with on a node: those of the evaluation run that the active version's
/// activation names (<c>gate_run_id</c>: the clearing run, or for an override the newest run of the version when it was
/// activated; for an override or set-up that named none, the newest run of the version stored since). Loaded once per
/// active version and kept until another version is active; a version with no run gives a reference that says so.
/// </summary>
public sealed class GoldenReferences(IWorkflowStore workflows, IEvaluationStore evaluations)
{
    /// <summary>Why the signal is unknown when no run can be named.</summary>
    public const string NoRun = "no evaluation run";

    // One entry per workflow: the version it was loaded for and the reference. A case of another version replaces it.
    private readonly ConcurrentDictionary<string, (int Version, GoldenReference Reference)> _cache = new(StringComparer.Ordinal);

    /// <summary>The golden cases for <paramref name="active"/>, from the cache when it was loaded for this version.</summary>
    public async ValueTask<GoldenReference> GetAsync(ActiveManifest active, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(active);
        if (_cache.TryGetValue(active.WorkflowId, out var cached) && cached.Version == active.Version)
        {
            return cached.Reference;
        }

        var reference = await LoadAsync(active.WorkflowId, active.Version, cancellationToken).ConfigureAwait(false);
        _cache[active.WorkflowId] = (active.Version, reference);
        return reference;
    }

    private async Task<GoldenReference> LoadAsync(string workflowId, int version, CancellationToken cancellationToken)
    {
        // Newest first: the activation that made this version active (a rollback keeps no basis: the one before it does).
        var activations = await workflows.ListActivationsAsync(workflowId, cancellationToken).ConfigureAwait(false);
        var basis = activations.FirstOrDefault(a => a.Version == version && a.Basis is not null)?.Basis;
        var runId = basis?.RunId;
        if (runId is null && basis is { Gate: ActivationBasis.Override or ActivationBasis.Setup })
        {
            var stored = await workflows.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
            var runs = await evaluations.ListEvaluationRunsAsync(workflowId, cancellationToken).ConfigureAwait(false);
            runId = runs.FirstOrDefault(r => r.Version == version || (stored is not null && r.ManifestHash == stored.ContentHash))?.Id;
        }

        if (runId is null)
        {
            return GoldenReference.Unknown(NoRun);
        }

        var run = await evaluations.GetEvaluationRunAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return GoldenReference.Unknown($"evaluation run {runId} not found");
        }

        return EvaluationEvidence.GoldenTermsOf(run) is { } terms
            ? GoldenReference.Of(run.Id, terms)
            : GoldenReference.Unknown($"run {run.Id} kept no golden terms");
    }
}
