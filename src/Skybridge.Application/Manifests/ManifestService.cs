using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Manifests;

/// <summary>The outcome of validating or publishing a manifest.</summary>
public sealed record ManifestPublishResult
{
    /// <summary>Every problem found, errors and warnings, in file order.</summary>
    public required IReadOnlyList<Diagnostic> Diagnostics { get; init; }

    /// <summary>The stored version when publishing succeeded (or found identical content already stored).</summary>
    public PublishResult? Published { get; init; }

    /// <summary>The activation, when publish was asked to activate.</summary>
    public ActivationResult? Activation { get; init; }

    /// <summary>The workflow id the manifest declares, when it could be read.</summary>
    public string? WorkflowId { get; init; }

    /// <summary>True when there is no error.</summary>
    public bool IsValid => Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error);
}

/// <summary>
/// An override of the evaluation gate: activate a version without a stored run that clears its bar. Only the
/// workflow's owner may (checked by the service); the reason is recorded and shown wherever the version is shown.
/// </summary>
/// <param name="Reason">Why the version may run without a clearing evaluation.</param>
/// <param name="LocalSetup">
/// True only for <c>skybridge up</c>'s set-up of the bundled sample on a local data folder: recorded as a set-up, not
/// as the owner's decision. Never set from the API.
/// </param>
public sealed record ActivationOverride(string Reason, bool LocalSetup = false);

/// <summary>
/// Validates, publishes, activates and rolls back manifests against a store. The one path shared by the API,
/// the console and the CLI: nothing is ever stored from a manifest that has an error.
/// </summary>
public sealed class ManifestService
{
    private readonly IWorkflowStore _store;
    private readonly IEvaluationStore _evaluations;
    private readonly IPeopleStore _people;
    private readonly TimeProvider _time;
    private readonly ILedger _ledger;
    private readonly Tokens.IdentityState? _state;

    /// <remarks><paramref name="state"/> is the running node's in-memory state, refreshed at once after an activation so
    /// that the node's next case uses the new version; null from the CLI (nodes pick it up within a second).</remarks>
    public ManifestService(IWorkflowStore store, IEvaluationStore evaluations, IPeopleStore people, TimeProvider time, ILedger ledger, Tokens.IdentityState? state = null)
    {
        _state = state;
        _store = store;
        _evaluations = evaluations;
        _people = people;
        _time = time;
        _ledger = ledger;
    }

    /// <summary>The same service over one store that holds every area (the CLI, tests).</summary>
    public ManifestService(ISkybridgeStore store, TimeProvider time, ILedger ledger, Tokens.IdentityState? state = null)
        : this(store, store, store, time, ledger, state)
    {
    }

    /// <summary>
    /// Validates a manifest. The autonomy level is checked against the evidence the store holds for the workflow
    /// the manifest names; <paramref name="fileExists"/> resolves paths relative to the manifest (null: not checked).
    /// </summary>
    public async Task<ManifestPublishResult> ValidateAsync(string yaml, string fileName, Func<string, bool>? fileExists, CancellationToken cancellationToken)
    {
        var (result, _) = await LoadAsync(yaml, fileName, fileExists, cancellationToken).ConfigureAwait(false);
        return new ManifestPublishResult { Diagnostics = result.Diagnostics, WorkflowId = result.Manifest?.Id };
    }

    /// <summary>
    /// The model of a version that was published (so it was valid, its evidence checked then); it is not judged again
    /// against today's evidence. Null only if the stored text no longer parses.
    /// </summary>
    public static WorkflowManifest? LoadPublished(string yaml) =>
        ManifestLoader.Load(yaml, "manifest.yaml", new ManifestValidationContext { EvidencedLevel = AutonomyLevel.L2ApproveConsequential }).Manifest;

    /// <summary>The model of a workflow's active version, or null when the workflow is unknown or nothing is active.</summary>
    public static async Task<WorkflowManifest?> LoadActiveAsync(IWorkflowStore store, string workflowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var workflow = await store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow?.ActiveVersion is not { } version)
        {
            return null;
        }

        var stored = await store.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : LoadPublished(stored.Yaml);
    }

    /// <summary>Validates without a store: only L0-draft counts as evidenced, as for a workflow never promoted.</summary>
    public static ManifestPublishResult ValidateOffline(string yaml, string fileName, Func<string, bool>? fileExists)
    {
        var result = WithPolicyLint(ManifestLoader.Load(yaml, fileName, new ManifestValidationContext { FileExists = fileExists, EvidencedLevel = AutonomyLevel.L0Draft }), fileName);
        return new ManifestPublishResult { Diagnostics = result.Diagnostics, WorkflowId = result.Manifest?.Id };
    }

    /// <summary>
    /// Validates, then stores an immutable version (and activates it when asked, through the evaluation gate: see
    /// <see cref="ActivateAsync(string, int, string, ActivationOverride?, CancellationToken)"/>). Stores nothing when
    /// invalid. A version the gate refuses is still stored; <see cref="ManifestPublishResult.Activation"/> then says why
    /// it is not active.
    /// </summary>
    public Task<ManifestPublishResult> PublishAsync(
        string yaml, string fileName, Func<string, bool>? fileExists, string publishedBy, bool activate, CancellationToken cancellationToken) =>
        PublishAsync(yaml, fileName, fileExists, publishedBy, activate, null, cancellationToken);

    /// <summary>As <see cref="PublishAsync(string, string, Func{string, bool}?, string, bool, CancellationToken)"/>, with the owner's override of the evaluation gate.</summary>
    public async Task<ManifestPublishResult> PublishAsync(
        string yaml, string fileName, Func<string, bool>? fileExists, string publishedBy, bool activate, ActivationOverride? activationOverride, CancellationToken cancellationToken)
    {
        var (result, _) = await LoadAsync(yaml, fileName, fileExists, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid || result.Manifest is null)
        {
            // Refused configuration changes are evidence too: who tried what, and why it was refused.
            await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.ManifestPublishRefused,
                Actors = [LedgerActor.Human(publishedBy)],
                Resource = new LedgerResource("manifest", fileName),
                Outcome = "invalid",
                InputHashes = new Dictionary<string, string> { ["yaml"] = ManifestHash.Compute(yaml) },
                Content = new System.Text.Json.Nodes.JsonObject
                {
                    ["codes"] = new System.Text.Json.Nodes.JsonArray(result.Diagnostics.Where(d => d.IsError).Select(d => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create($"{d.Code}@{d.Location.Line}:{d.Location.Column}")).ToArray()),
                },
            }, cancellationToken).ConfigureAwait(false);
            return new ManifestPublishResult { Diagnostics = result.Diagnostics, WorkflowId = result.Manifest?.Id };
        }

        var manifest = result.Manifest;
        var published = await _store.PublishManifestAsync(
            new NewManifestVersion
            {
                WorkflowId = manifest.Id,
                WorkflowName = manifest.Name,
                Yaml = yaml,
                ContentHash = ManifestHash.Compute(yaml),
                AutonomyLevel = manifest.Autonomy.Level.ToManifestName(),
                PublishedBy = publishedBy,
                PublishedAt = _time.GetUtcNow(),
            },
            cancellationToken).ConfigureAwait(false);

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.ManifestPublished,
            Actors = [LedgerActor.Human(publishedBy)],
            WorkflowId = manifest.Id,
            WorkflowVersion = published.Version.Version,
            Resource = new LedgerResource("manifest", $"{manifest.Id}@{published.Version.Version}", ["yaml"]),
            Outcome = published.Outcome == PublishOutcome.Published ? "published" : "already_published",
            InputHashes = new Dictionary<string, string> { ["yaml"] = published.Version.ContentHash },
            Content = new System.Text.Json.Nodes.JsonObject { ["autonomy_level"] = published.Version.AutonomyLevel },
        }, cancellationToken).ConfigureAwait(false);

        ActivationResult? activation = null;
        if (activate)
        {
            activation = await GatedActivateAsync(manifest, published.Version, publishedBy, activationOverride, cancellationToken).ConfigureAwait(false);
        }

        return new ManifestPublishResult
        {
            Diagnostics = result.Diagnostics,
            WorkflowId = manifest.Id,
            Published = published,
            Activation = activation,
        };
    }

    /// <summary>Activates a stored version through the evaluation gate, without an override.</summary>
    public Task<(ActivationResult Result, IReadOnlyList<Diagnostic> Diagnostics)> ActivateAsync(
        string workflowId, int version, string actor, CancellationToken cancellationToken) =>
        ActivateAsync(workflowId, version, actor, null, cancellationToken);

    /// <summary>
    /// Activates a stored version. The stored YAML is validated again first, against today's evidence, so that
    /// re-activating an old version cannot bring back an autonomy level the workflow no longer has evidence for.
    /// Then the evaluation gate (<see cref="ActivationGate"/>): a stored run of this exact text on its pinned golden set
    /// must clear the bar, or the owner overrides with a reason. The basis (the run, or the override and its reason)
    /// is kept with the activation and recorded in <c>workflow.activated</c>; a refusal is recorded as
    /// <c>workflow.activation_refused</c> and changes nothing.
    /// </summary>
    public async Task<(ActivationResult Result, IReadOnlyList<Diagnostic> Diagnostics)> ActivateAsync(
        string workflowId, int version, string actor, ActivationOverride? activationOverride, CancellationToken cancellationToken)
    {
        var stored = await _store.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            var workflow = await _store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
            return (new ActivationResult(workflow is null ? ActivationOutcome.UnknownWorkflow : ActivationOutcome.UnknownVersion), []);
        }

        var (check, _) = await LoadAsync(stored.Yaml, $"{workflowId}@v{version}", null, cancellationToken).ConfigureAwait(false);
        if (!check.IsValid || check.Manifest is null)
        {
            return (new ActivationResult(ActivationOutcome.UnknownVersion), check.Diagnostics);
        }

        return (await GatedActivateAsync(check.Manifest, stored, actor, activationOverride, cancellationToken).ConfigureAwait(false), []);
    }

    private async Task<ActivationResult> GatedActivateAsync(
        WorkflowManifest manifest, ManifestVersion version, string actor, ActivationOverride? activationOverride, CancellationToken cancellationToken)
    {
        var workflow = await _store.GetWorkflowAsync(manifest.Id, cancellationToken).ConfigureAwait(false);
        if (workflow?.ActiveVersion == version.Version)
        {
            return new ActivationResult(ActivationOutcome.AlreadyActive);
        }

        var gate = await DecideGateAsync(manifest, version, actor, activationOverride, cancellationToken).ConfigureAwait(false);
        if (!gate.Allowed)
        {
            await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.WorkflowActivationRefused,
                Actors = [LedgerActor.Human(actor)],
                WorkflowId = manifest.Id,
                WorkflowVersion = version.Version,
                Resource = new LedgerResource("workflow", manifest.Id, ["active_version"]),
                Outcome = gate.Code!,
                Content = new System.Text.Json.Nodes.JsonObject { ["to_version"] = version.Version, ["run"] = gate.RunId },
            }, cancellationToken).ConfigureAwait(false);
            return new ActivationResult(ActivationOutcome.GateRefused, null, gate);
        }

        var basis = gate.Outcome == ActivationGateOutcome.ClearedByRun
            ? new ActivationBasis(ActivationBasis.Evaluation, gate.RunId, null)
            : new ActivationBasis(gate.Override!.Authority == OverrideAuthority.LocalSetup ? ActivationBasis.Setup : ActivationBasis.Override, gate.RunId, gate.Override.Reason);
        var activated = await _store.ActivateAsync(manifest.Id, version.Version, actor, basis, cancellationToken).ConfigureAwait(false);
        await RecordActivationAsync(manifest.Id, activated, actor, cancellationToken).ConfigureAwait(false);
        return activated with { Gate = gate };
    }

    private async Task<ActivationGateDecision> DecideGateAsync(
        WorkflowManifest manifest, ManifestVersion version, string actor, ActivationOverride? activationOverride, CancellationToken cancellationToken)
    {
        var runs = await _evaluations.ListEvaluationRunsAsync(manifest.Id, cancellationToken).ConfigureAwait(false);
        GateOverride? request = null;
        if (activationOverride is not null)
        {
            var authority = activationOverride.LocalSetup ? OverrideAuthority.LocalSetup
                : await IsOwnerAsync(manifest.Owner, actor, cancellationToken).ConfigureAwait(false) ? OverrideAuthority.Owner : OverrideAuthority.None;
            request = new GateOverride(actor, activationOverride.Reason, authority);
        }

        return ActivationGate.Decide(
            version.ContentHash,
            manifest.GoldenSetSha256,
            manifest.Owner.ToString(),
            [.. runs.Select(r => new GateRun(r.Id, r.ManifestHash, r.GoldenSetHash, r.Verdict == StoredEvaluationRun.Clears, r.FinishedAt))],
            request);
    }

    /// <summary>The owner by name, or a member of the owner group now (memberships are read at every decision).</summary>
    private async Task<bool> IsOwnerAsync(Principal owner, string actor, CancellationToken cancellationToken)
    {
        if (owner.Kind == PrincipalKind.User)
        {
            return string.Equals(owner.Name, actor, StringComparison.Ordinal);
        }

        var groups = await _people.ListGroupsOfUserAsync(actor, cancellationToken).ConfigureAwait(false);
        return groups.Any(g => string.Equals(g.GroupName, owner.Name, StringComparison.Ordinal));
    }

    /// <summary>Re-activates the previously active version.</summary>
    public async Task<ActivationResult> RollbackAsync(string workflowId, string actor, CancellationToken cancellationToken)
    {
        var result = await _store.RollbackAsync(workflowId, actor, cancellationToken).ConfigureAwait(false);
        await RecordActivationAsync(workflowId, result, actor, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task RecordActivationAsync(string workflowId, ActivationResult result, string actor, CancellationToken cancellationToken)
    {
        if (result.Activation is not { } a)
        {
            return; // Nothing changed (already active, unknown version): no configuration change to record.
        }

        if (_state is not null)
        {
            await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = a.Kind == "rollback" ? LedgerEventTypes.WorkflowRolledBack : LedgerEventTypes.WorkflowActivated,
            Actors = [LedgerActor.Human(actor)],
            WorkflowId = workflowId,
            WorkflowVersion = a.Version,
            Resource = new LedgerResource("workflow", workflowId, ["active_version"]),
            Outcome = "activated",
            Content = new System.Text.Json.Nodes.JsonObject
            {
                ["from_version"] = a.PreviousVersion,
                ["to_version"] = a.Version,
                // How it passed the evaluation gate: the clearing run, or the override and its reason (rollbacks: none).
                ["gate"] = a.Basis?.Gate,
                ["run"] = a.Basis?.RunId,
                ["override_reason"] = a.Basis?.Reason,
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(ManifestLoadResult Result, AutonomyLevel Evidenced)> LoadAsync(
        string yaml, string fileName, Func<string, bool>? fileExists, CancellationToken cancellationToken)
    {
        // A first pass learns which workflow the manifest names; the evidence for that workflow then decides
        // which autonomy level is acceptable. Parsing is cheap next to a store round trip.
        var first = ManifestLoader.Load(yaml, fileName, new ManifestValidationContext { FileExists = fileExists, EvidencedLevel = AutonomyLevel.L2ApproveConsequential });
        var evidenced = AutonomyLevel.L0Draft;
        if (first.Manifest?.Id is { } id)
        {
            evidenced = await EvidencedLevelAsync(id, cancellationToken).ConfigureAwait(false);
        }

        var result = WithPolicyLint(ManifestLoader.Load(yaml, fileName, new ManifestValidationContext { FileExists = fileExists, EvidencedLevel = evidenced }), fileName);
        return (result, evidenced);
    }

    /// <summary>
    /// Adds the policy lint (SB14xx: rules that never match, shadowed rules, uncovered actions) to a valid manifest's
    /// diagnostics, in file order. Every finding is a warning: the rules still decide exactly as written, so a
    /// finding never blocks validation, publishing or activation; it tells the author the policy does not say what
    /// they probably meant.
    /// </summary>
    private static ManifestLoadResult WithPolicyLint(ManifestLoadResult result, string fileName)
    {
        if (result.Manifest is not { } manifest)
        {
            return result;
        }

        var findings = PolicyLint.Run(manifest, result.SourceMap, fileName);
        return findings.Count == 0 ? result : result with
        {
            Diagnostics = [.. result.Diagnostics.Concat(findings).OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column)],
        };
    }

    /// <summary>The highest autonomy level the workflow holds evidence for; L0-draft when it has none.</summary>
    public async Task<AutonomyLevel> EvidencedLevelAsync(string workflowId, CancellationToken cancellationToken)
    {
        var level = AutonomyLevel.L0Draft;
        foreach (var grant in await _store.ListAutonomyGrantsAsync(workflowId, cancellationToken).ConfigureAwait(false))
        {
            if (AutonomyLevels.TryParse(grant.Level, out var granted) && granted > level)
            {
                level = granted;
            }
        }

        return level;
    }
}
