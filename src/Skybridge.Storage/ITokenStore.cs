namespace Skybridge.Storage;

/// <summary>What the token service shares between nodes: signing keys, revocations, one-time use of proofs and assertions, shared secrets, device authorizations.</summary>
public interface ITokenStore
{
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

    /// <summary>Voids the tokens of an agent or a workflow issued before <paramref name="cutoff"/>'s time; a cutoff never moves back.</summary>
    Task RaiseTokenCutoffAsync(TokenCutoff cutoff, CancellationToken cancellationToken = default);

    /// <summary>Every cutoff: tokens of that agent or workflow issued before it are void, whatever their state now.</summary>
    Task<IReadOnlyList<TokenCutoff>> ListTokenCutoffsAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a <see cref="TokenCutoff"/> applies to.</summary>
public static class TokenCutoffKinds
{
    /// <summary>An agent, by client id: tokens issued to it, for it, or with it in the actor chain.</summary>
    public const string Agent = "agent";

    /// <summary>A workflow, by id: tokens of its agents.</summary>
    public const string Workflow = "workflow";
}

/// <summary>Tokens of <paramref name="Id"/> (an agent or a workflow, see <see cref="TokenCutoffKinds"/>) issued before <paramref name="NotBefore"/> are void.</summary>
public sealed record TokenCutoff(string Kind, string Id, DateTimeOffset NotBefore);

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
