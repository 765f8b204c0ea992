namespace Skybridge.Storage;

/// <summary>
/// What the token service keeps: agents and their public keys, every node's token-signing public keys, revoked
/// tokens, and the shared replay guard. No private key and no token is ever stored here, only public keys and ids.
/// </summary>
public interface IIdentityStore
{
    /// <summary>Registers an agent with its first public key. False when the client id is taken.</summary>
    Task<bool> CreateAgentAsync(NewAgent agent, CancellationToken cancellationToken = default);

    /// <summary>One agent with its current (unrevoked) keys, or null.</summary>
    Task<StoredAgent?> GetAgentAsync(string clientId, CancellationToken cancellationToken = default);

    /// <summary>Agents of one workflow (or all when null), ordered by client id, each with its current keys.</summary>
    Task<IReadOnlyList<StoredAgent>> ListAgentsAsync(string? workflowId, CancellationToken cancellationToken = default);

    /// <summary>Sets an agent's status (<c>active</c> or <c>disabled</c>). False for an unknown agent or no change.</summary>
    Task<bool> SetAgentStatusAsync(string clientId, string status, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds <paramref name="key"/> to an agent and revokes every other key it had, in one transaction.
    /// False for an unknown agent or a key id it already had.
    /// </summary>
    Task<bool> ReplaceAgentKeyAsync(string clientId, AgentKey key, CancellationToken cancellationToken = default);

    /// <summary>Publishes a node's token-signing public key. Publishing the same key id twice changes nothing.</summary>
    Task PublishSigningKeyAsync(TokenSigningKey key, CancellationToken cancellationToken = default);

    /// <summary>Marks a signing key retired: it signs nothing more, and verifies until its tokens have expired.</summary>
    Task RetireSigningKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Signing keys not retired, or retired after <paramref name="retiredAfter"/>; newest first.</summary>
    Task<IReadOnlyList<TokenSigningKey>> ListSigningKeysAsync(DateTimeOffset retiredAfter, CancellationToken cancellationToken = default);

    /// <summary>Records a revoked token by its <c>jti</c>. False when it was already revoked.</summary>
    Task<bool> RevokeTokenAsync(RevokedToken token, CancellationToken cancellationToken = default);

    /// <summary>Revoked tokens that expire after <paramref name="expiringAfter"/> (the ones that still matter).</summary>
    Task<IReadOnlyList<RevokedToken>> ListRevokedTokensAsync(DateTimeOffset expiringAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// The shared replay guard: true the first time <paramref name="key"/> is seen, false every later time until
    /// <paramref name="keepUntil"/>. Entries older than <paramref name="now"/> are purged now and then.
    /// </summary>
    Task<bool> TryUseOnceAsync(string key, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// The secret named <paramref name="name"/>: the stored one, or <paramref name="candidate"/> stored now when there is none
    /// (the first node to ask decides; every later caller gets the same value).
    /// </summary>
    Task<string> GetOrCreateSharedSecretAsync(string name, string candidate, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Replaces a shared secret's stored value if it is still <paramref name="expected"/> (false otherwise).</summary>
    Task<bool> ReplaceSharedSecretAsync(string name, string expected, string replacement, CancellationToken cancellationToken = default);

    /// <summary>Stores a new device authorization (RFC 8628), purging expired ones. False when a code hash collides.</summary>
    Task<bool> CreateDeviceAuthorizationAsync(DeviceAuthorization authorization, CancellationToken cancellationToken = default);

    /// <summary>A pending or decided authorization by its user code hash, or null.</summary>
    Task<DeviceAuthorization?> FindDeviceAuthorizationByUserCodeAsync(string userCodeHash, CancellationToken cancellationToken = default);

    /// <summary>Records a person's decision on a pending, unexpired authorization. False when it was not pending (or expired).</summary>
    Task<bool> DecideDeviceAuthorizationAsync(string userCodeHash, string userName, bool approve, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// A poll by the device: returns the authorization as it was before this poll and records the poll time; an approved
    /// one is consumed by the same statement, so it is handed out exactly once. Null for an unknown code.
    /// </summary>
    Task<DeviceAuthorization?> PollDeviceAuthorizationAsync(string deviceCodeHash, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Halts a workflow (the kill switch). False when it was already halted or is unknown.</summary>
    Task<bool> HaltWorkflowAsync(WorkflowHalt halt, CancellationToken cancellationToken = default);

    /// <summary>Resumes a halted workflow. False when it was not halted.</summary>
    Task<bool> ResumeWorkflowAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Every halted workflow.</summary>
    Task<IReadOnlyList<WorkflowHalt>> ListHaltsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Agent statuses as stored.</summary>
public static class AgentStatuses
{
    /// <summary>May get tokens.</summary>
    public const string Active = "active";

    /// <summary>Gets no tokens; its tokens stop working.</summary>
    public const string Disabled = "disabled";
}

/// <summary>An agent to register.</summary>
public sealed record NewAgent
{
    /// <summary><c>WORKFLOW/NAME</c>.</summary>
    public required string ClientId { get; init; }
    public required string WorkflowId { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required AgentKey Key { get; init; }
}

/// <summary>An agent's public key: a JWK without private parts, identified by its RFC 7638 thumbprint.</summary>
public sealed record AgentKey(string KeyId, string PublicJwk, DateTimeOffset CreatedAt);

/// <summary>A registered agent.</summary>
public sealed record StoredAgent
{
    public required string ClientId { get; init; }
    public required string WorkflowId { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public required string Status { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    /// <summary>Current keys (normally one).</summary>
    public required IReadOnlyList<AgentKey> Keys { get; init; }
}

/// <summary>A token-signing public key of one node.</summary>
public sealed record TokenSigningKey(string KeyId, string NodeId, string PublicJwk, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

/// <summary>A revoked token, by id; the token itself is never stored.</summary>
public sealed record RevokedToken(string TokenId, string ClientId, DateTimeOffset ExpiresAt, DateTimeOffset RevokedAt);

/// <summary>Device authorization statuses as stored.</summary>
public static class DeviceAuthorizationStatuses
{
    /// <summary>Waiting for a person.</summary>
    public const string Pending = "pending";

    /// <summary>Approved, not yet handed out.</summary>
    public const string Approved = "approved";

    /// <summary>Denied.</summary>
    public const string Denied = "denied";

    /// <summary>Approved and handed out once; never again.</summary>
    public const string Consumed = "consumed";
}

/// <summary>A device authorization (RFC 8628), its codes stored as hashes.</summary>
public sealed record DeviceAuthorization
{
    public required string DeviceCodeHash { get; init; }
    public required string UserCodeHash { get; init; }
    public required string ClientId { get; init; }
    public required string Scope { get; init; }
    public required string Status { get; init; }
    public string? UserName { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? LastPollAt { get; init; }
    public required int IntervalSeconds { get; init; }
}

/// <summary>Why and by whom a workflow was halted.</summary>
public sealed record WorkflowHalt(string WorkflowId, string HaltedBy, string Reason, DateTimeOffset At);
