using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Server.Telemetry;
using Skybridge.Storage;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of a role grant.</summary>
public sealed record GrantRoleRequest(string UserName, string Role);

internal static class RoleEndpoints
{
    public static void MapRoleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/workflows/{id}/roles").WithTags("roles");

        group.MapGet("/", async (string id, HttpContext context, IPeopleStore store) =>
            Results.Ok(await store.ListRoleGrantsForWorkflowAsync(id, includeGlobal: true, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ReadRoles)
            .WithSummary("Who holds which role on the workflow (administrators included).");

        group.MapPost("/", async (string id, GrantRoleRequest request, HttpContext context, IPeopleStore store, AccountService accounts, ILoggerFactory loggers) =>
        {
            if (!WorkflowRoles.TryParse(request.Role, out var role))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "unknown_role", $"Unknown role '{request.Role}'.",
                    $"Roles: {string.Join(", ", WorkflowRoles.All.Select(r => r.ToName()))}.");
            }

            var actor = PeopleSignIn.UserName(context.User)!;
            var grants = await accounts.GetGrantsAsync(actor, context.RequestAborted).ConfigureAwait(false);
            if (!AccessRules.MayGrant(grants, role, id))
            {
                return ApiProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", $"Only an administrator may grant {role.ToName()}.");
            }

            // Admin is installation-wide; granting it "on a workflow" would read as narrower than it is.
            var scope = AccessRules.GrantedOn(role, id);
            if (await store.GetUserAsync(request.UserName, context.RequestAborted).ConfigureAwait(false) is null)
            {
                return ApiProblems.Problem(StatusCodes.Status404NotFound, "unknown_user", $"No account named '{request.UserName}'.");
            }

            var added = await accounts.GrantRoleAsync(actor, request.UserName, scope, role, context.RequestAborted).ConfigureAwait(false);
            Log.RoleGranted(loggers.CreateLogger("Skybridge.Access"), actor, role.ToName(), scope, request.UserName);
            return added ? Results.Created($"/api/workflows/{id}/roles", new RoleGrant(request.UserName, scope, role.ToName())) : Results.Ok(new RoleGrant(request.UserName, scope, role.ToName()));
        }).RequirePermission(Permission.ManageRoles).WithSummary("Grants a role on the workflow. Owners grant working roles; only administrators grant owner or admin.");

        group.MapDelete("/{userName}/{role}", async (string id, string userName, string role, HttpContext context, AccountService accounts) =>
        {
            if (!WorkflowRoles.TryParse(role, out var parsed))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "unknown_role", $"Unknown role '{role}'.");
            }

            var grants = await accounts.GetGrantsAsync(PeopleSignIn.UserName(context.User)!, context.RequestAborted).ConfigureAwait(false);
            if (!AccessRules.MayGrant(grants, parsed, id))
            {
                return ApiProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", $"Only an administrator may revoke {parsed.ToName()}.");
            }

            var scope = AccessRules.GrantedOn(parsed, id);
            return await accounts.RevokeRoleAsync(PeopleSignIn.UserName(context.User)!, userName, scope, parsed, context.RequestAborted).ConfigureAwait(false)
                ? Results.NoContent()
                : ApiProblems.Problem(StatusCodes.Status404NotFound, "unknown_grant", $"{userName} does not hold {parsed.ToName()} on {id}.");
        }).RequirePermission(Permission.ManageRoles).WithSummary("Revokes a role on the workflow.");
    }
}
