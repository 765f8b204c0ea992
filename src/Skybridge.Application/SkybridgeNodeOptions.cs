namespace Skybridge.Application;

/// <summary>
/// What the application layer of one node needs to know: its id, token and ledger keys, token lifetimes, the public
/// URL. Hosts extend it with their own settings (the server adds addresses, cookies, logging).
/// </summary>
public record SkybridgeNodeOptions
{
    /// <summary>This node's id, recorded with everything it does. Defaults to the host name.</summary>
    public string NodeId { get; init; } = Environment.MachineName;

    /// <summary>
    /// The ledger signing key file (Ed25519, created on first start). Null: this node records events but signs no
    /// checkpoints. Keep it out of the database and readable by the service account only.
    /// </summary>
    public string? LedgerKeyFile { get; init; }

    /// <summary>How often a signed checkpoint of the ledger is made (when it grew).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The server's public URL (scheme, host, port, no trailing slash), as agents and browsers reach it: the token
    /// issuer, and the base of every DPoP <c>htu</c>. Null: the first listening address.
    /// </summary>
    public string? PublicUrl { get; init; }

    /// <summary>
    /// The key file that encrypts secrets kept in the database (AES-256, created on first start, readable by the
    /// service account only). Every node sharing one database needs the same key. Null (and no
    /// <see cref="SecretsKey"/>): a key kept in memory, so the secrets cannot be read again after a restart.
    /// </summary>
    public string? SecretsKeyFile { get; init; }

    /// <summary>The same key given directly (base64 of 32 bytes, for example from a secret store); wins over the file.</summary>
    public string? SecretsKey { get; init; }

    /// <summary>Token lifetimes, clock skew, delegation depth.</summary>
    public Skybridge.Core.Identity.IdentitySettings Identity { get; init; } = new();

    /// <summary>
    /// This node's token-signing key file (EC P-256 JWK, created on first start, readable by the service account only).
    /// Null: a key made at start and kept in memory only, so tokens stop verifying once the node and its overlap are gone.
    /// </summary>
    public string? TokenKeyFile { get; init; }

    /// <summary>How long a token-signing key signs before the node rotates it (the old one keeps verifying its tokens).</summary>
    public TimeSpan TokenKeyLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Resource identifiers (RFC 8707) of systems of record that trust this node's tokens, besides Skybridge's own API:
    /// a token request naming one of them in <c>resource</c> gets a token with that audience. Absolute URIs without a
    /// fragment, compared exactly (for example <c>http://127.0.0.1:5081/helpdesk</c>).
    /// </summary>
    public IReadOnlyList<string> ExtraResources { get; init; } = [];

    /// <summary>How long an approval waits for its people before it expires and fails closed (the call does not run).</summary>
    public TimeSpan ApprovalLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long an action may stay claimed (<c>executing</c>) without a result before the outbox takes it for the claim
    /// of a node that died mid-call and sends it again with the same Idempotency-Key. Longer than any connector call with
    /// its retries; shorter means a faster recovery after a crash.
    /// </summary>
    public TimeSpan ActionClaimTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The sentence-embedding model for retrieval by meaning: <c>builtin</c> (all-MiniLM-L6-v2, shipped with the node)
    /// or <c>none</c> (words only). A model that fails to load leaves retrieval by words, with one warning.
    /// </summary>
    public string EmbeddingModel { get; init; } = Skybridge.Grounding.Retrieval.Embeddings.SentenceEmbedders.Builtin;
}
