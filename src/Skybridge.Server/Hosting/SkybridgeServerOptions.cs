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
}
