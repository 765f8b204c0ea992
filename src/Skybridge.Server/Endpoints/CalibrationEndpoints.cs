using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Endpoints;

/// <summary>
/// Stored calibration sweeps (<c>skybridge eval calibrate</c> with a store) over HTTP: a workflow's sweeps, newest first,
/// and one sweep with every row. Like evaluation runs they are evidence about manifest versions, so reading them needs
/// <see cref="Permission.ReadWorkflow"/> on the workflow.
/// </summary>
internal static class CalibrationEndpoints
{
    public static void MapCalibrationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("evaluation");
        group.MapGet("/workflows/{id}/calibrations", async (string id, ISkybridgeStore store, HttpContext context) =>
        {
            var sweeps = await store.ListCalibrationsAsync(id, context.RequestAborted).ConfigureAwait(false);
            return Results.Ok(sweeps.Select(s => CalibrationEvidence.Json(s, withRows: false)));
        }).RequirePermission(Permission.ReadWorkflow)
            .WithSummary("The workflow's stored calibration sweeps, newest first: hashes, the settings swept, and the recommended or closest setting.");

        group.MapGet("/calibrations/{calId}", async (string calId, ISkybridgeStore store, HttpContext context) =>
        {
            var sweep = await store.GetCalibrationAsync(calId, context.RequestAborted).ConfigureAwait(false);
            return sweep is null
                ? ApiProblems.Problem(StatusCodes.Status404NotFound, "calibration_not_found", "No calibration sweep has this id.")
                : Results.Ok(CalibrationEvidence.Json(sweep, withRows: true));
        }).RequirePermission(Permission.ReadWorkflow, WorkflowOfCalibration)
            .WithSummary("One stored calibration sweep: every setting's answered share, metrics with successes, trials and Wilson intervals, whether it clears the bar, and the recommendation.");
    }

    // The sweep's workflow decides who may read it; an unknown sweep is the same answer to everyone.
    private static async ValueTask<AccessTarget> WorkflowOfCalibration(EndpointFilterInvocationContext context)
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<ISkybridgeStore>();
        var sweep = await store.GetCalibrationAsync((string)context.HttpContext.GetRouteValue("calId")!, context.HttpContext.RequestAborted).ConfigureAwait(false);
        return sweep is null ? AccessTarget.Missing : AccessTarget.Workflow(sweep.WorkflowId);
    }
}
