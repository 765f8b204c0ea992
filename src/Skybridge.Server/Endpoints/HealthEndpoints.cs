using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Server.Telemetry;
using Skybridge.Storage;

namespace Skybridge.Server.Endpoints;

internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // Liveness: the process serves requests. A node listens only after start-up (migrations) finished.
        app.MapGet("/health", (SkybridgeServerOptions options) => Results.Ok(new { status = "ok", node = options.NodeId }))
            .AllowAnonymous().WithTags("health").WithSummary("Liveness: 200 while the node serves requests.");

        // Readiness: the store answers and is migrated; a load balancer sends traffic only then.
        app.MapGet("/health/ready", async (ISkybridgeStore store, SkybridgeServerOptions options, CancellationToken ct) =>
        {
            var reachable = await store.PingAsync(ct).ConfigureAwait(false);
            var schema = reachable ? await store.GetSchemaVersionAsync(ct).ConfigureAwait(false) : 0;
            var ready = reachable && schema > 0;
            return Results.Json(
                new { status = ready ? "ready" : "not_ready", node = options.NodeId, store = store.Provider, schemaVersion = schema },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous().WithTags("health").WithSummary("Readiness: 200 when the store answers and is migrated, else 503.");
    }
}
