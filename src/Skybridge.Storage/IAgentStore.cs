namespace Skybridge.Storage;

/// <summary>Agents: workload identities with their public keys and status.</summary>
public interface IAgentStore
{
    /// <summary>Registers an agent with its first public key. False when the client id is taken.</summary>
    Task<bool> CreateAgentAsync(NewAgent agent, CancellationToken cancellationToken = default);

    /// <summary>One agent with its current (unrevoked) keys, or null.</summary>
    Task<StoredAgent?> GetAgentAsync(string clientId, CancellationToken cancellationToken = default);

    /// <summary>Agents of one workflow (or all when null), ordered by client id, each with its current keys.</summary>
    Task<IReadOnlyList<StoredAgent>> ListAgentsAsync(string? workflowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets an agent's status (<c>active</c> or <c>disabled</c>) and, in the same transaction, voids every token issued
    /// to or for it before <paramref name="at"/> (see <see cref="ITokenStore.ListTokenCutoffsAsync"/>). False for an unknown agent or no change.
    /// </summary>
    Task<bool> SetAgentStatusAsync(string clientId, string status, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds <paramref name="key"/> to an agent and revokes every other key it had, in one transaction.
    /// False for an unknown agent or a key id it already had.
    /// </summary>
    Task<bool> ReplaceAgentKeyAsync(string clientId, AgentKey key, CancellationToken cancellationToken = default);
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
