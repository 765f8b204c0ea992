using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Access;
using Skybridge.Core.Access;
using Skybridge.Core.Identity;
using Skybridge.Server.Telemetry;
using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>What kind of thing an endpoint's permission is checked on.</summary>
internal enum AccessTargetKind
{
    /// <summary>The installation (accounts, the whole ledger, a workflow that does not exist yet).</summary>
    Installation,

    /// <summary>One workflow.</summary>
    Workflow,

    /// <summary>
    /// The named thing does not exist (an unknown case): answered like a workflow the caller holds no role on, so
    /// that nobody learns what exists elsewhere.
    /// </summary>
    Missing,

    /// <summary>A listing the handler narrows to what the caller may see: only sign-in and the token's scope are checked here.</summary>
    EachWorkflow,
}

/// <summary>Where an endpoint's permission is checked: the installation, one workflow, or something that does not exist.</summary>
internal readonly record struct AccessTarget(AccessTargetKind Kind, string? WorkflowId = null)
{
    public static AccessTarget Installation => new(AccessTargetKind.Installation);

    public static AccessTarget Missing => new(AccessTargetKind.Missing);

    public static AccessTarget EachWorkflow => new(AccessTargetKind.EachWorkflow);

    public static AccessTarget Workflow(string id) => new(AccessTargetKind.Workflow, id);

    /// <summary>The workflow named by a route value (<c>{id}</c> unless told).</summary>
    public static Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> FromRoute(string name = "id") =>
        context => ValueTask.FromResult(context.HttpContext.GetRouteValue(name) is string id ? Workflow(id) : Missing);
}

/// <summary>
/// The one authorisation filter of the API: an endpoint names its permission from <see cref="AccessRules"/>, and this
/// filter decides before the handler runs. People signed in with the session cookie are checked by their roles; people
/// with their own DPoP-bound token (the CLI) also by the token's scope; agents only where the table lets agents in,
/// on their own workflow, with the scope their manifest role declares.
/// </summary>
internal static class RequirePermissionExtensions
{
    /// <summary>
    /// Requires <paramref name="permission"/> on the workflow <paramref name="target"/> names (default: the <c>{id}</c>
    /// route value for a permission on a workflow, the installation for an installation-wide one).
    /// </summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission, Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>>? target = null)
        where TBuilder : IEndpointConventionBuilder
    {
        var rule = AccessRules.Rule(permission);
        var resolve = target ?? (rule.OnWorkflow ? AccessTarget.FromRoute() : _ => ValueTask.FromResult(AccessTarget.Installation));
        return builder.AddEndpointFilter(async (context, next) =>
            await CheckAsync(context, permission, rule, resolve).ConfigureAwait(false) ?? await next(context).ConfigureAwait(false));
    }

    private static async Task<IResult?> CheckAsync(EndpointFilterInvocationContext context, Permission permission, PermissionRule rule, Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> resolve)
    {
        var http = context.HttpContext;
        var token = http.Items[typeof(AccessTokenClaims)] as AccessTokenClaims;
        var userName = AccessService.UserName(http.User);
        string? workflowId = null;
        AccessVerdict verdict;
        if (token is not null && userName is null)
        {
            // An agent's token, or one an agent holds for a person: never a person on the people API.
            (verdict, workflowId) = await AgentVerdictAsync(context, token, rule, resolve).ConfigureAwait(false);
        }
        else if (userName is null)
        {
            verdict = AccessVerdict.Unauthenticated;
        }
        else
        {
            // A person's own token carries a scope that may narrow what their roles allow; the session cookie has none.
            var scope = token?.Scope;
            var target = await resolve(context).ConfigureAwait(false);
            workflowId = target.WorkflowId;
            verdict = target.Kind switch
            {
                AccessTargetKind.EachWorkflow => AccessRules.ScopeAllows(scope, permission) ? AccessVerdict.Allowed : AccessVerdict.InsufficientScope,
                AccessTargetKind.Missing => AccessRules.ScopeAllows(scope, permission) ? AccessVerdict.NotFound : AccessVerdict.InsufficientScope,
                _ => await http.RequestServices.GetRequiredService<AccessService>()
                    .CheckAsync(http.User, scope, permission, target.WorkflowId, http.RequestAborted).ConfigureAwait(false),
            };
        }

        if (verdict == AccessVerdict.Allowed)
        {
            return null;
        }

        SkybridgeTelemetry.AccessDenials.Add(1, new KeyValuePair<string, object?>("permission", permission.ToString()));
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Skybridge.Access");
        Log.AccessRefused(logger, userName ?? token?.ClientId ?? "(anonymous)", permission.ToString(), workflowId ?? "*", verdict.ToString());
        if (verdict == AccessVerdict.InsufficientScope)
        {
            // RFC 6750 section 3.1, with the scope that would do (RFC 9449 section 7.1 for the DPoP scheme).
            http.Response.Headers.WWWAuthenticate = DPoPAuthenticationHandler.Challenge(
                new OAuthError(OAuthError.InsufficientScope, $"This request needs the scope {rule.Scope}."), rule.Scope);
        }

        return ApiProblems.For(verdict);
    }

    private static async Task<(AccessVerdict Verdict, string? WorkflowId)> AgentVerdictAsync(EndpointFilterInvocationContext context, AccessTokenClaims token, PermissionRule rule, Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> resolve)
    {
        if (!rule.Agents)
        {
            return (AccessVerdict.Unauthenticated, null);
        }

        if (!token.Scope.Contains(rule.Scope))
        {
            return (AccessVerdict.InsufficientScope, token.Workflow);
        }

        // An agent works for its own workflow only; anything else looks as if it did not exist.
        var target = await resolve(context).ConfigureAwait(false);
        var own = target.Kind == AccessTargetKind.Workflow && token.Workflow is not null && string.Equals(target.WorkflowId, token.Workflow, StringComparison.Ordinal);
        return (own ? AccessVerdict.Allowed : AccessVerdict.NotFound, target.WorkflowId);
    }
}
