using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Skybridge.Server.Telemetry;

/// <summary>The server's OpenTelemetry sources: one activity source and one meter, both named <c>Skybridge</c>.</summary>
public static class SkybridgeTelemetry
{
    /// <summary>Name of the activity source and the meter.</summary>
    public const string Name = "Skybridge";

    internal static readonly ActivitySource Activities = new(Name);
    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> SignIns = Meter.CreateCounter<long>("skybridge.sign_ins", description: "Sign-in attempts by outcome.");
    internal static readonly Counter<long> ManifestPublishes = Meter.CreateCounter<long>("skybridge.manifest.publishes", description: "Manifest publish attempts by outcome.");
    internal static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("skybridge.requests.rate_limited", description: "Requests refused by a rate limit, by limit.");
    internal static readonly Counter<long> AccessDenials = Meter.CreateCounter<long>("skybridge.access.denials", description: "Requests refused by the role check.");
}
