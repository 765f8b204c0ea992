using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Endpoints;
using Skybridge.Server.Telemetry;

namespace Skybridge.Server.Hosting;

/// <summary>
/// How many requests one source (client IP address; an IPv6 /64) may send to the endpoints anyone can reach without
/// credentials, per window. Every request that passes may still be recorded (a refused token request is a ledger
/// event), so these limits are what bounds what garbage can write.
/// </summary>
public sealed record RequestRateLimits
{
    /// <summary>Off: no limits (for load tests of the token service).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The window the permits below refill in.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests per window to <c>/oauth/*</c> (token, device authorization, introspection, revocation, keys); 0: no limit.</summary>
    public int OAuthPermits { get; init; } = 600;

    /// <summary>Sign-in attempts per window (the API's and the console form's), on top of the per-account lockout; 0: no limit.</summary>
    public int SignInPermits { get; init; } = 30;
}

/// <summary>
/// ASP.NET Core's rate limiter on the OAuth endpoints and sign-in, partitioned by source. Over the limit the answer is
/// 429 with <c>Retry-After</c> (RFC 6585 section 4): an OAuth error body on <c>/oauth</c>, problem details elsewhere.
/// Every refusal is counted and logged; the ledger gets at most one entry per source and limit within a window, so a
/// flood of garbage cannot flood the ledger.
/// </summary>
internal static partial class RateLimits
{
    private const string OAuth = "oauth", SignIn = "sign-in";

    public static IServiceCollection AddSkybridgeRateLimits(this IServiceCollection services, RequestRateLimits limits)
    {
        services.AddSingleton(sp => new RefusalRecorder(limits.Window, sp.GetRequiredService<TimeProvider>()));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, (string Limit, string Source)>(context =>
            {
                var limit = limits.Enabled ? Classify(context.Request) : null;
                if (limit is null)
                {
                    return RateLimitPartition.GetNoLimiter((string.Empty, string.Empty));
                }

                var permits = limit == OAuth ? limits.OAuthPermits : limits.SignInPermits;
                if (permits == 0)
                {
                    return RateLimitPartition.GetNoLimiter((string.Empty, string.Empty));
                }

                return RateLimitPartition.GetFixedWindowLimiter((limit, Source(context)), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = limits.Window,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = (context, cancellationToken) => RefuseAsync(context, limits, cancellationToken);
        });
        return services;
    }

    /// <summary>Which limit a request falls under, or null for none.</summary>
    private static string? Classify(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/oauth"))
        {
            return OAuth;
        }

        return HttpMethods.IsPost(request.Method) && (request.Path.Equals("/api/auth/sign-in", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals("/signin", StringComparison.OrdinalIgnoreCase))
            ? SignIn
            : null;
    }

    /// <summary>
    /// The source a request is counted against: its peer address. An IPv6 client usually holds a whole /64, so that
    /// is one source. Behind a reverse proxy every request comes from the proxy: limit there, or raise these limits.
    /// </summary>
    internal static string Source(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    private static async ValueTask RefuseAsync(OnRejectedContext rejected, RequestRateLimits limits, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var limit = Classify(context.Request) ?? "other";
        var source = Source(context);
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.Window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

        SkybridgeTelemetry.RateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Skybridge.RateLimits");
        // The source is personal data in some jurisdictions: logs and the ledger get its digest, which an operator
        // can match against a suspect address (sha256 of the text shown by the proxy or firewall).
        var sourceDigest = LedgerEntry.Digest(source);
        if (services.GetRequiredService<RefusalRecorder>().FirstInWindow(limit, source))
        {
            LogFirstRefusal(logger, limit, sourceDigest[..16], seconds);
            await services.GetRequiredService<ILedger>().AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.RequestRateLimited,
                Actors = [LedgerActor.System("rate-limiter")],
                Resource = new LedgerResource("endpoint", limit),
                Outcome = "refused",
                InputHashes = new Dictionary<string, string> { ["source"] = sourceDigest },
                Content = new JsonObject { ["permits"] = limit == OAuth ? limits.OAuthPermits : limits.SignInPermits, ["window_s"] = (int)limits.Window.TotalSeconds },
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            LogRefusal(logger, limit, sourceDigest[..16]);
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var description = $"Too many requests from this address; try again in {seconds} s.";
        if (limit == OAuth)
        {
            // RFC 6749 has no rate-limit error; temporarily_unavailable (section 4.1.2.1) is the one clients retry.
            context.Response.Headers.CacheControl = "no-store";
            await Results.Text(new JsonObject { ["error"] = "temporarily_unavailable", ["error_description"] = description }.ToJsonString(),
                "application/json", statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await ApiProblems.Problem(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests.", description)
            .ExecuteAsync(context).ConfigureAwait(false);
    }

    [LoggerMessage(1050, LogLevel.Warning, "Rate limit {Limit} reached by source {SourceDigest}: refusing for {Seconds} s (recorded once per window)")]
    private static partial void LogFirstRefusal(ILogger logger, string limit, string sourceDigest, int seconds);

    [LoggerMessage(1051, LogLevel.Debug, "Rate limit {Limit}: refused another request from source {SourceDigest}")]
    private static partial void LogRefusal(ILogger logger, string limit, string sourceDigest);

    /// <summary>Remembers which sources were recorded in the current window (per node).</summary>
    internal sealed class RefusalRecorder
    {
        private readonly ConcurrentDictionary<(string Limit, string Source), DateTimeOffset> _recorded = new();
        private readonly TimeSpan _window;
        private readonly TimeProvider _time;

        public RefusalRecorder(TimeSpan window, TimeProvider time)
        {
            _window = window;
            _time = time;
        }

        /// <summary>True for the first refusal of this source and limit within a window.</summary>
        public bool FirstInWindow(string limit, string source)
        {
            var now = _time.GetUtcNow();
            if (_recorded.Count > 10_000)
            {
                foreach (var (key, at) in _recorded)
                {
                    if (now - at >= _window)
                    {
                        _recorded.TryRemove(key, out _);
                    }
                }
            }

            while (true)
            {
                if (!_recorded.TryGetValue((limit, source), out var last))
                {
                    if (_recorded.TryAdd((limit, source), now))
                    {
                        return true;
                    }

                    continue;
                }

                if (now - last < _window)
                {
                    return false;
                }

                if (_recorded.TryUpdate((limit, source), now, last))
                {
                    return true;
                }
            }
        }
    }
}
