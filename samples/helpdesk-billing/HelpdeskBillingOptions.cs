namespace HelpdeskBilling;

/// <summary>How to run the helpdesk-and-billing service.</summary>
public sealed record HelpdeskBillingOptions
{
    /// <summary>Addresses to listen on, separated by ';'. Port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5081";

    /// <summary>
    /// The service's public URL (scheme, host, port, no trailing slash) as Skybridge's connectors reach it: the base of
    /// both audiences. Null: the first listening address.
    /// </summary>
    public string? PublicUrl { get; init; }

    /// <summary>Folder of the service's own SQLite store (created, owner-only, and seeded on first start).</summary>
    public required string DataFolder { get; init; }

    /// <summary>Skybridge's issuer (its public URL, no trailing slash): the only <c>iss</c> accepted.</summary>
    public required string SkybridgeIssuer { get; init; }

    /// <summary>Where Skybridge publishes its token-signing keys. Null: <c>{SkybridgeIssuer}/oauth/jwks</c>.</summary>
    public string? JwksUrl { get; init; }

    /// <summary>The audience of the helpdesk endpoints (reply, close, escalate, tickets). Null: <c>{PublicUrl}/helpdesk</c>.</summary>
    public string? HelpdeskAudience { get; init; }

    /// <summary>The audience of the billing endpoints (refund, orders). Null: <c>{PublicUrl}/billing</c>.</summary>
    public string? BillingAudience { get; init; }

    /// <summary>Clock difference tolerated on token lifetimes and proof times.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How old a DPoP proof may be (its <c>iat</c>); its <c>jti</c> is remembered that long (RFC 9449 section 11.1).</summary>
    public TimeSpan ProofLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fewest time between two JWKS fetches caused by unknown key ids (a flood of bad kids costs one fetch).</summary>
    public TimeSpan JwksMinRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Lowest log level written.</summary>
    public Microsoft.Extensions.Logging.LogLevel MinimumLogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;
}
