using Skybridge.Server.Hosting;

namespace Skybridge.Server;

/// <summary>How to run a Skybridge server node: the node's application settings plus the web host's own.</summary>
public sealed record SkybridgeServerOptions : Skybridge.Application.SkybridgeNodeOptions
{
    /// <summary>Addresses to listen on, separated by ';' (for example <c>http://127.0.0.1:5080</c>). Port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Write logs as one JSON object per line (for log shippers) instead of plain text.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Lowest log level written. Prompts and personal data appear only at Trace; secrets never.</summary>
    public Microsoft.Extensions.Logging.LogLevel MinimumLogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>Also print OpenTelemetry traces and metrics to the console (for a first look; production uses a collector).</summary>
    public bool ConsoleTelemetry { get; init; }

    /// <summary>Folder for data-protection keys (cookie encryption), so sign-ins survive a restart. Null keeps keys in memory.</summary>
    public string? KeysFolder { get; init; }

    /// <summary>Sign-in cookies go out with the Secure flag. On by default; off only for plain-http local use.</summary>
    public bool SecureCookies { get; init; }

    /// <summary>Agent APIs also demand a server nonce in DPoP proofs (the token endpoint always does).</summary>
    public bool RequireNonceOnResources { get; init; }

    /// <summary>Per-source limits on the OAuth endpoints and sign-in (429 with Retry-After over them).</summary>
    public RequestRateLimits RateLimits { get; init; } = new();

    /// <summary>
    /// Most client connections held open at once; new ones past it are closed at once (and logged). Null: three
    /// quarters of the process's open-file limit (<see cref="ConnectionLimit.Default"/>).
    /// </summary>
    public int? MaxConnections { get; init; }

    /// <summary>Sign-in through an external OpenID Connect provider, next to local accounts; null: local accounts only.</summary>
    public Skybridge.Server.Authentication.OidcOptions? Oidc { get; init; }
}
