namespace Skybridge.Storage;

/// <summary>Workflows, their immutable manifest versions, activations, autonomy grants and halts.</summary>
public interface IWorkflowStore
{
    /// <summary>
    /// Stores a new immutable manifest version. Version numbers start at 1 per workflow and are assigned
    /// atomically. Publishing content whose hash equals an existing version of the same workflow stores
    /// nothing and returns that version with <see cref="PublishOutcome.AlreadyPublished"/>.
    /// Creates the workflow on its first publish. Does not activate anything.
    /// </summary>
    Task<PublishResult> PublishManifestAsync(NewManifestVersion version, CancellationToken cancellationToken = default);

    /// <summary>All workflows with their active version, ordered by id.</summary>
    Task<IReadOnlyList<WorkflowSummary>> ListWorkflowsAsync(CancellationToken cancellationToken = default);

    /// <summary>One workflow, or null.</summary>
    Task<WorkflowSummary?> GetWorkflowAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Every published version of a workflow, newest first. Empty for an unknown workflow.</summary>
    Task<IReadOnlyList<ManifestVersion>> ListVersionsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>One version with its YAML, or null.</summary>
    Task<ManifestVersion?> GetVersionAsync(string workflowId, int version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="version"/> the active one and records the switch in the activation history.
    /// Activating the version that is already active changes nothing and returns <see cref="ActivationOutcome.AlreadyActive"/>.
    /// <paramref name="basis"/> is how the activation passed the evaluation gate, kept with it (the gate itself is decided
    /// by the application before this call).
    /// </summary>
    Task<ActivationResult> ActivateAsync(string workflowId, int version, string actor, ActivationBasis? basis, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-activates the version that was active before the current one (following the activation history),
    /// recorded as a rollback. <see cref="ActivationOutcome.NothingToRollBackTo"/> when there is no earlier activation.
    /// </summary>
    Task<ActivationResult> RollbackAsync(string workflowId, string actor, CancellationToken cancellationToken = default);

    /// <summary>The activation history, newest first.</summary>
    Task<IReadOnlyList<Activation>> ListActivationsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Records that a workflow earned an autonomy level (written by a passed promotion gate).</summary>
    Task RecordAutonomyGrantAsync(AutonomyGrant grant, CancellationToken cancellationToken = default);

    /// <summary>Autonomy levels the workflow has evidence for, oldest first. Empty for a new workflow.</summary>
    Task<IReadOnlyList<AutonomyGrant>> ListAutonomyGrantsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Halts a workflow (the kill switch) and, in the same transaction, voids every token of the workflow issued before
    /// the halt. False when it was already halted or is unknown.
    /// </summary>
    Task<bool> HaltWorkflowAsync(WorkflowHalt halt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a halted workflow and, in the same transaction, voids every token of the workflow issued before
    /// <paramref name="at"/> (one a node issued before it learnt of the halt). False when it was not halted.
    /// </summary>
    Task<bool> ResumeWorkflowAsync(string workflowId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Every halted workflow.</summary>
    Task<IReadOnlyList<WorkflowHalt>> ListHaltsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A manifest version to publish. <see cref="ContentHash"/> is the lower-case hex SHA-256 of the YAML's UTF-8 bytes.</summary>
public sealed record NewManifestVersion
{
    public required string WorkflowId { get; init; }
    public required string WorkflowName { get; init; }
    public required string Yaml { get; init; }
    public required string ContentHash { get; init; }
    /// <summary>The autonomy level the manifest declares, in manifest spelling (<c>L0-draft</c>...).</summary>
    public required string AutonomyLevel { get; init; }
    public required string PublishedBy { get; init; }
    public required DateTimeOffset PublishedAt { get; init; }
}

/// <summary>A stored, immutable manifest version.</summary>
public sealed record ManifestVersion
{
    public required string WorkflowId { get; init; }
    public required int Version { get; init; }
    public required string ContentHash { get; init; }
    public required string AutonomyLevel { get; init; }
    public required string PublishedBy { get; init; }
    public required DateTimeOffset PublishedAt { get; init; }
    /// <summary>The YAML as published. Empty in list results, filled by <see cref="IWorkflowStore.GetVersionAsync"/>.</summary>
    public string Yaml { get; init; } = "";
}

/// <summary>What <see cref="IWorkflowStore.PublishManifestAsync"/> did.</summary>
public enum PublishOutcome { Published, AlreadyPublished }

/// <summary>The version a publish produced or found.</summary>
public sealed record PublishResult(PublishOutcome Outcome, ManifestVersion Version);

/// <summary>A workflow and its active version (null before the first activation).</summary>
public sealed record WorkflowSummary
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public int? ActiveVersion { get; init; }
    /// <summary>Autonomy level of the active version (manifest spelling), or null when nothing is active.</summary>
    public string? AutonomyLevel { get; init; }
    public required int LatestVersion { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What an activation or rollback did.</summary>
/// <remarks><see cref="GateRefused"/> is the application's: the evaluation gate refused the version before the store was asked.</remarks>
public enum ActivationOutcome { Activated, AlreadyActive, UnknownWorkflow, UnknownVersion, NothingToRollBackTo, GateRefused }

/// <summary>
/// The result of an activation or rollback; <see cref="Activation"/> is set when something changed, <see cref="Gate"/>
/// when the evaluation gate was asked (every activation; not a rollback).
/// </summary>
public sealed record ActivationResult(ActivationOutcome Outcome, Activation? Activation = null, Skybridge.Core.Evaluation.ActivationGateDecision? Gate = null);

/// <summary>One entry of the activation history.</summary>
public sealed record Activation
{
    public required string WorkflowId { get; init; }
    public required int Version { get; init; }
    /// <summary>The version active before this one, or null.</summary>
    public int? PreviousVersion { get; init; }
    /// <summary><c>activate</c> or <c>rollback</c>.</summary>
    public required string Kind { get; init; }
    public required string Actor { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>How it passed the evaluation gate; null for rollbacks and activations stored before the gate existed.</summary>
    public ActivationBasis? Basis { get; init; }
}

/// <summary>How an activation passed the evaluation gate.</summary>
/// <param name="Gate"><see cref="Evaluation"/>, <see cref="Override"/> or <see cref="Setup"/>.</param>
/// <param name="RunId">The clearing run; for an override, the newest run of the version, if any.</param>
/// <param name="Reason">The override's reason; null when a run cleared.</param>
public sealed record ActivationBasis(string Gate, string? RunId, string? Reason)
{
    /// <summary>A stored run of the exact version cleared the bar.</summary>
    public const string Evaluation = "evaluation";

    /// <summary>The owner activated it without a clearing run, with a reason.</summary>
    public const string Override = "override";

    /// <summary>The bundled sample, activated by <c>skybridge up</c> on a local data folder, with a reason.</summary>
    public const string Setup = "setup";
}

/// <summary>Evidence that a workflow earned an autonomy level.</summary>
public sealed record AutonomyGrant
{
    public required string WorkflowId { get; init; }
    /// <summary>Manifest spelling (<c>L1-approve-all</c>...).</summary>
    public required string Level { get; init; }
    public required string GrantedBy { get; init; }
    public required DateTimeOffset GrantedAt { get; init; }
    /// <summary>Free text or an id pointing at the evaluation run and sign-offs.</summary>
    public required string Evidence { get; init; }
}

/// <summary>Why and by whom a workflow was halted.</summary>
public sealed record WorkflowHalt(string WorkflowId, string HaltedBy, string Reason, DateTimeOffset At);
