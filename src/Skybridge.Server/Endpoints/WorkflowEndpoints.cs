using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Core.Access;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using Skybridge.Server.Telemetry;
using Skybridge.Application.Manifests;
using Skybridge.Storage;
using Skybridge.Application.Access;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of <c>POST /api/workflows/{id}/activate</c>: the version, and the owner's reason when no stored evaluation run of it clears the bar.</summary>
public sealed record ActivateRequest(int Version, string? OverrideReason = null);

internal static class WorkflowEndpoints
{
    private static readonly string[] YamlContentTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"];

    public static void MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/workflows").WithTags("workflows");

        group.MapGet("/", async (HttpContext context, AccessService access) =>
            Results.Ok(await access.VisibleWorkflowsAsync(context.User, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ReadWorkflow, _ => ValueTask.FromResult(AccessTarget.EachWorkflow))
            .WithSummary("The workflows you hold a role on (all of them for an admin).");

        group.MapGet("/{id}", async (string id, HttpContext context, IWorkflowStore store) =>
            Results.Ok(await store.GetWorkflowAsync(id, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ReadWorkflow)
            .WithSummary("One workflow with its active version and autonomy level.");

        group.MapGet("/{id}/versions", async (string id, HttpContext context, IWorkflowStore store) =>
        {
            var gates = ActivationBases.ByVersion(await store.ListActivationsAsync(id, context.RequestAborted).ConfigureAwait(false));
            return Results.Ok((await store.ListVersionsAsync(id, context.RequestAborted).ConfigureAwait(false)).Select(v => new
            {
                v.WorkflowId, v.Version, v.ContentHash, v.AutonomyLevel, v.PublishedBy, v.PublishedAt,
                // How the version last passed the evaluation gate (the clearing run, or the override and its reason); null if never activated.
                gate = gates.TryGetValue(v.Version, out var a) ? new { basis = a.Basis!.Gate, run = a.Basis.RunId, reason = a.Basis.Reason, by = a.Actor, at = a.At } : null,
            }));
        })
            .RequirePermission(Permission.ReadWorkflow)
            .WithSummary("Manifest history, newest first: version, content hash, who published it and when, and how it passed the evaluation gate.");

        group.MapGet("/{id}/versions/{version:int}", async (string id, int version, HttpContext context, IWorkflowStore store) =>
        {
            var stored = await store.GetVersionAsync(id, version, context.RequestAborted).ConfigureAwait(false);
            return stored is null
                ? ApiProblems.Problem(StatusCodes.Status404NotFound, "unknown_version", $"Workflow {id} has no version {version}.")
                : Results.Ok(stored);
        }).RequirePermission(Permission.ReadManifest).WithSummary("One manifest version, with its YAML.");

        group.MapGet("/{id}/activations", async (string id, HttpContext context, IWorkflowStore store) =>
            Results.Ok(await store.ListActivationsAsync(id, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ReadWorkflow)
            .WithSummary("Which version was active when, and who switched it.");

        group.MapPost("/{id}/versions", PublishAsync)
            .RequirePermission(Permission.PublishManifest, PublishTargetAsync)
            .Accepts<string>("application/yaml", "text/yaml", "text/plain")
            .WithSummary("Validates a manifest and stores it as a new immutable version (?activate=true also activates it). Nothing is stored from an invalid manifest.");

        group.MapPost("/{id}/activate", async (string id, ActivateRequest request, HttpContext context, ManifestService manifests, ILoggerFactory loggers) =>
        {
            var actor = PeopleSignIn.UserName(context.User)!;
            var (result, diagnostics) = await manifests.ActivateAsync(id, request.Version, actor,
                request.OverrideReason is null ? null : new ActivationOverride(request.OverrideReason), context.RequestAborted).ConfigureAwait(false);
            if (diagnostics.Count > 0)
            {
                return InvalidManifest(diagnostics, $"Version {request.Version} no longer validates and cannot be activated.");
            }

            return ActivationAnswer(id, result, actor, loggers);
        }).RequirePermission(Permission.ActivateVersion).WithSummary("Makes a published version the active one.");

        group.MapPost("/{id}/rollback", async (string id, HttpContext context, ManifestService manifests, ILoggerFactory loggers) =>
        {
            var actor = PeopleSignIn.UserName(context.User)!;
            var result = await manifests.RollbackAsync(id, actor, context.RequestAborted).ConfigureAwait(false);
            return ActivationAnswer(id, result, actor, loggers);
        }).RequirePermission(Permission.ActivateVersion).WithSummary("Re-activates the version that was active before the current one.");
    }

    /// <summary>
    /// A workflow that does not exist yet can only be created by an administrator (installation-wide);
    /// new versions of an existing workflow are its owner's decision.
    /// </summary>
    private static async ValueTask<AccessTarget> PublishTargetAsync(EndpointFilterInvocationContext context)
    {
        var id = (string)context.HttpContext.GetRouteValue("id")!;
        var store = context.HttpContext.RequestServices.GetRequiredService<ISkybridgeStore>();
        var exists = await store.GetWorkflowAsync(id, context.HttpContext.RequestAborted).ConfigureAwait(false) is not null;
        return exists ? AccessTarget.Workflow(id) : AccessTarget.Installation;
    }

    private static async Task<IResult> PublishAsync(string id, bool? activate, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "override_reason")] string? overrideReason, HttpContext context, ManifestService manifests, ILoggerFactory loggers)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !YamlContentTypes.Contains(mediaType))
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Send the manifest as YAML.", "Use Content-Type: application/yaml.");
        }

        using var reader = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8);
        var yaml = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var actor = PeopleSignIn.UserName(context.User)!;

        var validation = await manifests.ValidateAsync(yaml, "manifest.yaml", null, context.RequestAborted).ConfigureAwait(false);
        if (validation.IsValid && !string.Equals(validation.WorkflowId, id, StringComparison.Ordinal))
        {
            return ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, "workflow_id_mismatch",
                "The manifest names another workflow.", $"The manifest's id is '{validation.WorkflowId}' but it was sent to '{id}'.");
        }

        var result = await manifests.PublishAsync(yaml, "manifest.yaml", null, actor, activate == true,
            overrideReason is null ? null : new ActivationOverride(overrideReason), context.RequestAborted).ConfigureAwait(false);
        SkybridgeTelemetry.ManifestPublishes.Add(1, new KeyValuePair<string, object?>("outcome", result.IsValid ? "stored" : "invalid"));
        if (!result.IsValid || result.Published is null)
        {
            return InvalidManifest(result.Diagnostics, "The manifest has errors; nothing was stored.");
        }

        var logger = loggers.CreateLogger("Skybridge.Manifests");
        Log.ManifestPublished(logger, actor, id, result.Published.Version.Version, result.Published.Outcome.ToString());
        var body = new
        {
            outcome = result.Published.Outcome == PublishOutcome.Published ? "published" : "already_published",
            version = result.Published.Version,
            activated = result.Activation?.Outcome == ActivationOutcome.Activated,
            // Stored but not active: why the evaluation gate refused it (the version can be activated later).
            activation_refused = result.Activation is { Outcome: ActivationOutcome.GateRefused, Gate: { } refused }
                ? new { code = refused.Code, detail = refused.Detail, run = refused.RunId } : null,
            gate = result.Activation?.Activation?.Basis,
            warnings = result.Diagnostics.Select(DiagnosticJson),
        };
        return result.Published.Outcome == PublishOutcome.Published
            ? Results.Created($"/api/workflows/{id}/versions/{result.Published.Version.Version}", body)
            : Results.Ok(body);
    }

    private static IResult ActivationAnswer(string id, ActivationResult result, string actor, ILoggerFactory loggers)
    {
        switch (result.Outcome)
        {
            case ActivationOutcome.Activated:
            case ActivationOutcome.AlreadyActive:
                if (result.Activation is { } a)
                {
                    Log.VersionActivated(loggers.CreateLogger("Skybridge.Manifests"), actor, id, a.Version, a.Kind);
                }

                return Results.Ok(new { outcome = result.Outcome == ActivationOutcome.Activated ? "activated" : "already_active", activation = result.Activation });
            case ActivationOutcome.UnknownVersion:
                return ApiProblems.Problem(StatusCodes.Status404NotFound, "unknown_version", $"Workflow {id} has no such version.");
            case ActivationOutcome.GateRefused:
                var gate = result.Gate!;
                return ApiProblems.Problem(
                    gate.Code == ActivationGate.OverrideNotOwner ? StatusCodes.Status403Forbidden : gate.Code == ActivationGate.OverrideReasonRequired ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict,
                    gate.Code!, "The version was not activated.", gate.Detail, new Dictionary<string, object?> { ["run"] = gate.RunId });
            case ActivationOutcome.NothingToRollBackTo:
                return ApiProblems.Problem(StatusCodes.Status409Conflict, "nothing_to_roll_back_to", $"Workflow {id} has no earlier active version.");
            default:
                return ApiProblems.Problem(StatusCodes.Status404NotFound, "not_found", "No such workflow, or you hold no role on it.");
        }
    }

    private static IResult InvalidManifest(IReadOnlyList<Diagnostic> diagnostics, string title) =>
        ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, "invalid_manifest", title,
            $"{diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error)} error(s).",
            new Dictionary<string, object?> { ["diagnostics"] = diagnostics.Select(DiagnosticJson).ToList() });

    internal static object DiagnosticJson(Diagnostic d) => new
    {
        code = d.Code,
        severity = d.Severity.ToString().ToLowerInvariant(),
        message = d.Message,
        line = d.Location.Line,
        column = d.Location.Column,
        suggestion = d.Suggestion,
    };
}
