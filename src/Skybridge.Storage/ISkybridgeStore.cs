namespace Skybridge.Storage;

/// <summary>
/// The one store contract. Two implementations: SQLite (embedded default) and PostgreSQL (several nodes).
/// A single contract test suite runs against both. Expected outcomes (a duplicate user, an unknown
/// version) are results, not exceptions; exceptions mean the store itself is broken or unreachable
/// (<see cref="StoreUnavailableException"/>).
/// </summary>
public interface ISkybridgeStore : ILedgerStore, IIdentityStore, IGroundingStore, IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    string Provider { get; }

    /// <summary>Where the data lives, safe to print (a folder, or host/port/database without the password).</summary>
    string Description { get; }

    /// <summary>
    /// Applies pending versioned migrations. Safe to run twice and from two nodes at once:
    /// each migration is applied exactly once, under a lock.
    /// </summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The highest migration version applied; 0 for an empty store.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the store answers a trivial query (readiness).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);

    // ---- Workflows and manifest versions -------------------------------------------------------

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
    /// </summary>
    Task<ActivationResult> ActivateAsync(string workflowId, int version, string actor, CancellationToken cancellationToken = default);

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

    // ---- People and roles ----------------------------------------------------------------------

    /// <summary>Creates a local account. False when the user name (case-insensitive) is taken.</summary>
    Task<bool> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default);

    /// <summary>One account by name (case-insensitive), or null.</summary>
    Task<StoredUser?> GetUserAsync(string userName, CancellationToken cancellationToken = default);

    /// <summary>All accounts, ordered by name.</summary>
    Task<IReadOnlyList<StoredUser>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces a password hash and clears failures and lockout. False for an unknown user.</summary>
    Task<bool> SetPasswordHashAsync(string userName, string passwordHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts one failed sign-in atomically. When the count reaches <paramref name="maxFailures"/> the account is
    /// locked until <paramref name="now"/> + <paramref name="lockout"/> and the count restarts. Returns the updated account, or null.
    /// </summary>
    Task<StoredUser?> RecordSignInFailureAsync(string userName, DateTimeOffset now, int maxFailures, TimeSpan lockout, CancellationToken cancellationToken = default);

    /// <summary>Clears the failure count after a successful sign-in.</summary>
    Task RecordSignInSuccessAsync(string userName, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a signed-in session by the digest of its id (never the id itself). Sessions older than
    /// <paramref name="forgetBefore"/> are removed on the way: their cookies have long expired.
    /// </summary>
    Task CreateSessionAsync(string idHash, string userName, DateTimeOffset at, DateTimeOffset forgetBefore, CancellationToken cancellationToken = default);

    /// <summary>True when the session exists, is not revoked and began after <paramref name="notBefore"/>.</summary>
    Task<bool> IsSessionActiveAsync(string idHash, DateTimeOffset notBefore, CancellationToken cancellationToken = default);

    /// <summary>Ends a session (sign-out). False when it was unknown or already ended.</summary>
    Task<bool> RevokeSessionAsync(string idHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Grants a role. <paramref name="workflowId"/> is a workflow id, or <see cref="RoleGrant.AllWorkflows"/> ("*")
    /// for the global admin role. False when the grant already exists or the user is unknown.
    /// </summary>
    Task<bool> GrantRoleAsync(string userName, string workflowId, string role, CancellationToken cancellationToken = default);

    /// <summary>
    /// Brings the grants a single sign-on group mapping made for a person to <paramref name="wanted"/> (workflow, role):
    /// missing ones are granted and remembered as the mapping's; the mapping's grants no longer wanted are revoked.
    /// Grants made by hand are never revoked here, and a wanted grant the person already holds by hand stays theirs.
    /// </summary>
    Task<MappedRoleChanges> SyncMappedRolesAsync(string userName, IReadOnlyCollection<(string WorkflowId, string Role)> wanted, CancellationToken cancellationToken = default);

    /// <summary>Removes a grant. False when it did not exist.</summary>
    Task<bool> RevokeRoleAsync(string userName, string workflowId, string role, CancellationToken cancellationToken = default);

    /// <summary>Every grant a user holds.</summary>
    Task<IReadOnlyList<RoleGrant>> ListRoleGrantsForUserAsync(string userName, CancellationToken cancellationToken = default);

    /// <summary>Every grant on a workflow (including global ones when <paramref name="includeGlobal"/>).</summary>
    Task<IReadOnlyList<RoleGrant>> ListRoleGrantsForWorkflowAsync(string workflowId, bool includeGlobal, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="ISkybridgeStore.SyncMappedRolesAsync"/> changed: (workflow, role) pairs granted and revoked.</summary>
public sealed record MappedRoleChanges(IReadOnlyList<(string WorkflowId, string Role)> Granted, IReadOnlyList<(string WorkflowId, string Role)> Revoked);

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
    /// <summary>The YAML as published. Empty in list results, filled by <see cref="ISkybridgeStore.GetVersionAsync"/>.</summary>
    public string Yaml { get; init; } = "";
}

/// <summary>What <see cref="ISkybridgeStore.PublishManifestAsync"/> did.</summary>
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
public enum ActivationOutcome { Activated, AlreadyActive, UnknownWorkflow, UnknownVersion, NothingToRollBackTo }

/// <summary>The result of an activation or rollback; <see cref="Activation"/> is set when something changed.</summary>
public sealed record ActivationResult(ActivationOutcome Outcome, Activation? Activation = null);

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

/// <summary>A local account to create. <see cref="PasswordHash"/> comes from a standard password hasher, never plain text.</summary>
public sealed record NewUser
{
    public required string UserName { get; init; }
    public required string DisplayName { get; init; }
    public required string PasswordHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A stored local account.</summary>
public sealed record StoredUser
{
    public required string UserName { get; init; }
    public required string DisplayName { get; init; }
    public required string PasswordHash { get; init; }
    public required int FailedSignIns { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset? LastSignInAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A role held by a user on a workflow, or on every workflow (<see cref="AllWorkflows"/>).</summary>
public sealed record RoleGrant(string UserName, string WorkflowId, string Role)
{
    /// <summary>The workflow id of a global grant.</summary>
    public const string AllWorkflows = "*";

    /// <summary>True when this grant counts on <paramref name="workflowId"/>: granted there, or installation-wide.</summary>
    public bool Covers(string workflowId) => WorkflowId == workflowId || WorkflowId == AllWorkflows;
}

/// <summary>
/// The store cannot be reached or used (server down, password refused, folder not writable). The message
/// names the cause and what to do; it never contains a password.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
