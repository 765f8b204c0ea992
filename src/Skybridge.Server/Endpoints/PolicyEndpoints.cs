using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Application.Governance;
using Skybridge.Core.Access;
using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>
/// The policy tools over HTTP: <c>POST /api/workflows/{id}/policy/replay</c> decides the workflow's recorded decisions
/// again under a candidate manifest (the body) and lists every one that would flip, before anything is published.
/// </summary>
internal static class PolicyEndpoints
{
    // YAML, as a manifest is published; JSON too, which is YAML as well (the manifest loader reads either).
    private static readonly string[] ManifestContentTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain", "application/json"];

    public static void MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/workflows/{id}/policy/replay", ReplayAsync)
            .WithTags("workflows")
            .RequirePermission(Permission.ReplayPolicy)
            .Accepts<string>("application/yaml", "text/yaml", "text/plain", "application/json")
            .WithSummary("Decides the workflow's recorded decisions again under a candidate manifest (the body; ?since=7d limits the window) and lists every decision that would flip. Nothing is stored.");
    }

    private static async Task<IResult> ReplayAsync(string id, string? since, HttpContext context, PolicyReplay replay)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !ManifestContentTypes.Contains(mediaType))
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Send the candidate manifest as YAML.", "Use Content-Type: application/yaml.");
        }

        TimeSpan? window = null;
        if (since is not null)
        {
            if (!PolicyReplay.TryParseSince(since, out var parsed))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, PolicyReplayCodes.InvalidSince,
                    "'since' is not a duration.", "Write a number and a unit: 30m, 24h, 7d.");
            }

            window = parsed;
        }

        using var reader = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8);
        var yaml = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var candidate = PolicyTools.LoadFile(yaml, "manifest.yaml", null);
        var result = await replay.ReplayAsync(id, candidate, window, context.RequestAborted).ConfigureAwait(false);
        return result.Status switch
        {
            PolicyReplayStatus.Replayed => Results.Ok(PolicyReplay.ToJson(id, "manifest.yaml", result)),
            PolicyReplayStatus.UnknownWorkflow => ApiProblems.Problem(StatusCodes.Status404NotFound, PolicyReplayCodes.UnknownWorkflow, result.Message!),
            PolicyReplayStatus.WorkflowMismatch => ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, PolicyReplayCodes.WorkflowMismatch, "The candidate manifest names another workflow.", result.Message),
            _ => ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, PolicyReplayCodes.InvalidManifest, "The candidate manifest has errors; nothing was replayed.",
                $"{result.Diagnostics.Count(d => d.IsError)} error(s).",
                new Dictionary<string, object?> { ["diagnostics"] = result.Diagnostics.Select(WorkflowEndpoints.DiagnosticJson).ToList() }),
        };
    }
}
