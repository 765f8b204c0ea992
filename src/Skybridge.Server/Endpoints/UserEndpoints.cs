using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Storage;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of an account creation.</summary>
public sealed record CreateUserRequest(string UserName, string? DisplayName, string Password);

internal static class UserEndpoints
{
    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/users").WithTags("people");

        group.MapGet("/", async (HttpContext context, IPeopleStore store) =>
        {
            var users = await store.ListUsersAsync(context.RequestAborted).ConfigureAwait(false);
            // Password hashes stay in the store.
            return Results.Ok(users.Select(u => new { u.UserName, u.DisplayName, u.CreatedAt, u.LastSignInAt, locked = u.LockedUntil > DateTimeOffset.UtcNow }));
        }).RequirePermission(Permission.ManageUsers).WithSummary("Every local account (administrators only). Password hashes are never returned.");

        group.MapPost("/", async (CreateUserRequest request, HttpContext context, AccountService accounts) =>
        {
            var outcome = await accounts.CreateUserAsync(PeopleSignIn.UserName(context.User)!, request.UserName ?? "", request.DisplayName ?? "", request.Password ?? "", context.RequestAborted).ConfigureAwait(false);
            return outcome switch
            {
                CreateUserOutcome.Created => Results.Created($"/api/users/{request.UserName}", new { request.UserName }),
                CreateUserOutcome.AlreadyExists => ApiProblems.Problem(StatusCodes.Status409Conflict, "user_exists", $"An account named '{request.UserName}' exists."),
                CreateUserOutcome.InvalidName => ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_user_name", "User names are 2-64 letters, digits, '.', '-', '_' or '@'."),
                _ => ApiProblems.Problem(StatusCodes.Status400BadRequest, "weak_password", $"Passwords need at least {AccountService.MinimumPasswordLength} characters."),
            };
        }).RequirePermission(Permission.ManageUsers).WithSummary("Creates a local account (administrators only).");
    }
}
