namespace Skybridge.Server.Hosting;

/// <summary>How to run a Skybridge server node.</summary>
public sealed record SkybridgeServerOptions
{
    /// <summary>Addresses to listen on, separated by ';' (for example <c>http://127.0.0.1:5080</c>). Port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>This node's id, recorded with everything it does. Defaults to the host name.</summary>
    public string NodeId { get; init; } = Environment.MachineName;

    /// <summary>Write logs as one JSON object per line (for log shippers) instead of plain text.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Lowest log level written. Prompts and personal data appear only at Trace; secrets never.</summary>
    public Microsoft.Extensions.Logging.LogLevel MinimumLogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>Also print OpenTelemetry traces and metrics to the console (for a first look; production uses a collector).</summary>
    public bool ConsoleTelemetry { get; init; }

    /// <summary>Folder for data-protection keys (cookie encryption), so sign-ins survive a restart. Null keeps keys in memory.</summary>
    public string? KeysFolder { get; init; }

    /// <summary>
    /// The ledger signing key file (Ed25519, created on first start). Null: this node records events but signs no
    /// checkpoints. Keep it out of the database and readable by the service account only.
    /// </summary>
    public string? LedgerKeyFile { get; init; }

    /// <summary>How often a signed checkpoint of the ledger is made (when it grew).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sign-in cookies go out with the Secure flag. On by default; off only for plain-http local use.</summary>
    public bool SecureCookies { get; init; }

    /// <summary>
    /// The server's public URL (scheme, host, port, no trailing slash), as agents and browsers reach it: the token
    /// issuer, and the base of every DPoP <c>htu</c>. Null: the first listening address.
    /// </summary>
    public string? PublicUrl { get; init; }

    /// <summary>Token lifetimes, clock skew, delegation depth.</summary>
    public Skybridge.Core.Identity.IdentitySettings Identity { get; init; } = new();

    /// <summary>
    /// This node's token-signing key file (EC P-256 JWK, created on first start, readable by the service account only).
    /// Null: a key made at start and kept in memory only, so tokens stop verifying once the node and its overlap are gone.
    /// </summary>
    public string? TokenKeyFile { get; init; }

    /// <summary>How long a token-signing key signs before the node rotates it (the old one keeps verifying its tokens).</summary>
    public TimeSpan TokenKeyLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Agent APIs also demand a server nonce in DPoP proofs (the token endpoint always does).</summary>
    public bool RequireNonceOnResources { get; init; }

    /// <summary>Sign-in through an external OpenID Connect provider, next to local accounts; null: local accounts only.</summary>
    public Skybridge.Server.People.OidcOptions? Oidc { get; init; }
}
