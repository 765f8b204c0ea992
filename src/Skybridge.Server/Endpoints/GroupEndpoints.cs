using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of a group membership to add.</summary>
public sealed record AddGroupMemberRequest(string UserName);

/// <summary>
/// Group memberships, administered like accounts (administrators only): who is in the groups manifests name as
/// <c>group:NAME</c>. A change counts from the next decision on.
/// </summary>
internal static class GroupEndpoints
{
    public static void MapGroupEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/groups").WithTags("people");

        group.MapGet("/", async (string? name, HttpContext context, GroupService groups) =>
            Results.Ok(await groups.ListAsync(name, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ManageUsers).WithSummary("Every group membership, or one group's (?name=GROUP): who, the source, added by whom and when.");

        group.MapPost("/{name}/members", async (string name, AddGroupMemberRequest request, HttpContext context, GroupService groups) =>
            await groups.AddAsync(PeopleSignIn.UserName(context.User)!, name, request.UserName ?? "", context.RequestAborted).ConfigureAwait(false) switch
            {
                GroupAddOutcome.Added => Results.Created($"/api/groups?name={Uri.EscapeDataString(name)}", new { group = name, request.UserName }),
                GroupAddOutcome.AlreadyMember => Results.Ok(new { group = name, request.UserName }),
                GroupAddOutcome.UnknownUser => ApiProblems.Problem(StatusCodes.Status404NotFound, "unknown_user", $"No account named '{request.UserName}'."),
                _ => InvalidName(),
            }).RequirePermission(Permission.ManageUsers).WithSummary("Adds a person to a group (administrators only).");

        group.MapDelete("/{name}/members/{userName}", async (string name, string userName, HttpContext context, GroupService groups) =>
            await groups.RemoveAsync(PeopleSignIn.UserName(context.User)!, name, userName, context.RequestAborted).ConfigureAwait(false) switch
            {
                GroupRemoveOutcome.Removed => Results.NoContent(),
                GroupRemoveOutcome.NotMember => ApiProblems.Problem(StatusCodes.Status404NotFound, "not_a_member", $"{userName} is not in {name}."),
                _ => InvalidName(),
            }).RequirePermission(Permission.ManageUsers).WithSummary("Removes a person from a group (administrators only); counts from their next decision.");
    }

    private static IResult InvalidName() => ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_group_name",
        $"Group names are up to {GroupService.MaxGroupNameLength} letters, digits, '.', '-', '_' or '@'.");
}
