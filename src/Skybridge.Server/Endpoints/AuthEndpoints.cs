using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Server.Telemetry;
using Skybridge.Application.Access;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>Sign-in request body.</summary>
public sealed record SignInRequest(string UserName, string Password);

internal static class AuthEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("sign-in");

        group.MapPost("/sign-in", async (SignInRequest request, HttpContext context, AccountService accounts, ILoggerFactory loggers) =>
        {
            var logger = loggers.CreateLogger("Skybridge.Accounts");
            var result = await accounts.SignInAsync(request.UserName ?? "", request.Password ?? "", context.RequestAborted).ConfigureAwait(false);
            SkybridgeTelemetry.SignIns.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome.ToString()));
            switch (result.Outcome)
            {
                case SignInOutcome.SignedIn:
                    await PeopleSignIn.SignInAsync(context, result.User!.UserName, result.User.DisplayName).ConfigureAwait(false);
                    Log.SignedIn(logger, result.User.UserName);
                    return Results.NoContent();
                case SignInOutcome.LockedOut:
                    Log.SignInRefused(logger, result.Account ?? Log.UnknownAccount, "locked");
                    return ApiProblems.Problem(StatusCodes.Status401Unauthorized, "account_locked",
                        "This account is locked after repeated failed sign-ins.",
                        $"Try again after {result.LockedUntil:u}, or ask an administrator to reset the password.");
                default:
                    Log.SignInRefused(logger, result.Account ?? Log.UnknownAccount, "wrong credentials");
                    return ApiProblems.Problem(StatusCodes.Status401Unauthorized, "invalid_credentials", "Wrong user name or password.");
            }
        }).AllowAnonymous().WithSummary("Signs a person in with a local account; sets the session cookie.");

        group.MapPost("/sign-out", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
            return Results.NoContent();
        }).AllowAnonymous().WithSummary("Ends the session.");

        app.MapGet("/api/me", async (HttpContext context, AccountService accounts) =>
        {
            var userName = PeopleSignIn.UserName(context.User);
            if (userName is null)
            {
                return ApiProblems.For(AccessVerdict.Unauthenticated);
            }

            var grants = await accounts.GetGrantsAsync(userName, context.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new
            {
                userName,
                displayName = context.User.FindFirst("display_name")?.Value ?? userName,
                roles = grants.Select(g => new { role = g.Role.ToName(), workflowId = g.WorkflowId }),
            });
        }).WithTags("sign-in").WithSummary("Who is signed in, with their roles.");
    }
}
