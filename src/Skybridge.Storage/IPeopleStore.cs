namespace Skybridge.Storage;

/// <summary>People: local accounts, sign-in failures and lockout, role grants (by hand and mapped from groups), group memberships.</summary>
public interface IPeopleStore
{
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
    /// The members of <paramref name="groupName"/>, or of every group when it is null, by group then user. Memberships
    /// change only with their ledger events (<see cref="GroupMemberAddedRow"/>, <see cref="GroupMemberRemovedRow"/>).
    /// </summary>
    Task<IReadOnlyList<GroupMembership>> ListGroupMembershipsAsync(string? groupName, CancellationToken cancellationToken = default);

    /// <summary>The groups a person (case-insensitive name) is in now, by group name.</summary>
    Task<IReadOnlyList<GroupMembership>> ListGroupsOfUserAsync(string userName, CancellationToken cancellationToken = default);
}

/// <summary>A person in a group.</summary>
/// <param name="GroupName">The group as manifests name it (<c>group:NAME</c>), compared exactly.</param>
/// <param name="UserName">The account's name.</param>
/// <param name="Source"><see cref="LocalSource"/> when added by hand, else the single sign-on authority whose groups claim put them there.</param>
/// <param name="AddedAt">When.</param>
/// <param name="AddedBy">Who added them (for single sign-on, <c>oidc:AUTHORITY</c>).</param>
public sealed record GroupMembership(string GroupName, string UserName, string Source, DateTimeOffset AddedAt, string AddedBy)
{
    /// <summary>The source of a membership added by hand (CLI or API).</summary>
    public const string LocalSource = "local";
}

/// <summary>
/// Adds a membership with its ledger event. The user must exist and not be in the group yet; otherwise the store throws
/// <see cref="StoreConflictException"/> and neither the row nor the event is written.
/// </summary>
public sealed record GroupMemberAddedRow(GroupMembership Membership) : RecordedRow;

/// <summary>
/// Removes a membership with its ledger event; with <paramref name="Source"/>, only a membership from that source. When
/// there is none, the store throws <see cref="StoreConflictException"/> and nothing is written.
/// </summary>
public sealed record GroupMemberRemovedRow(string GroupName, string UserName, string? Source = null) : RecordedRow;

/// <summary>What <see cref="IPeopleStore.SyncMappedRolesAsync"/> changed: (workflow, role) pairs granted and revoked.</summary>
public sealed record MappedRoleChanges(IReadOnlyList<(string WorkflowId, string Role)> Granted, IReadOnlyList<(string WorkflowId, string Role)> Revoked);

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
    /// <summary>The workflow id of a global grant. Where a grant counts is the access table's rule (Core's <c>AccessRules</c>), not the store's.</summary>
    public const string AllWorkflows = Skybridge.Core.Access.AccessRules.AllWorkflows;
}
