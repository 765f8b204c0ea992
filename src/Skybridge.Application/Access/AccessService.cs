using System.Security.Claims;
using Skybridge.Core.Access;
using Skybridge.Core.Identity;
using Skybridge.Application.Accounts;
using Skybridge.Storage;

namespace Skybridge.Application.Access;

/// <summary>How an access check ended.</summary>
public enum AccessVerdict
{
    /// <summary>Go ahead.</summary>
    Allowed,

    /// <summary>Nobody is signed in.</summary>
    Unauthenticated,

    /// <summary>
    /// The workflow does not exist, or the person holds no role on it. The two look the same from outside so that
    /// people cannot discover other teams' workflows.
    /// </summary>
    NotFound,

    /// <summary>The person may see the workflow but their role does not carry this permission.</summary>
    Forbidden,

    /// <summary>
    /// The person signed in with a token whose scope lacks the permission's (RFC 6750 section 3.1
    /// <c>insufficient_scope</c>), whatever their roles.
    /// </summary>
    InsufficientScope,
}

/// <summary>
/// Checks a signed-in person's roles against <see cref="AccessRules"/>. Roles are read from the store on every
/// check, so a revoked role stops working at the next request, not at the next sign-in.
/// </summary>
public sealed class AccessService
{
    private readonly AccountService _accounts;
    private readonly IWorkflowStore _store;

    public AccessService(AccountService accounts, IWorkflowStore store)
    {
        _accounts = accounts;
        _store = store;
    }

    /// <summary>The user name of a signed-in principal, or null.</summary>
    public static string? UserName(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true ? principal.FindFirstValue(ClaimTypes.Name) : null;

    /// <summary>
    /// Checks an installation-wide permission (<paramref name="workflowId"/> null) or one on a workflow, for a person
    /// signed in with the session cookie: roles only.
    /// </summary>
    public Task<AccessVerdict> CheckAsync(ClaimsPrincipal principal, Permission permission, string? workflowId, CancellationToken cancellationToken) =>
        CheckAsync(principal, null, permission, workflowId, cancellationToken);

    /// <summary>
    /// Checks a permission for a person who presented a token of <paramref name="tokenScope"/> (null for the session
    /// cookie, which has no scope). The scope is checked first: it reveals nothing about which workflows exist.
    /// </summary>
    public async Task<AccessVerdict> CheckAsync(ClaimsPrincipal principal, ScopeSet? tokenScope, Permission permission, string? workflowId, CancellationToken cancellationToken)
    {
        var userName = UserName(principal);
        if (userName is null)
        {
            return AccessVerdict.Unauthenticated;
        }

        if (!AccessRules.ScopeAllows(tokenScope, permission))
        {
            return AccessVerdict.InsufficientScope;
        }

        var grants = await _accounts.GetGrantsAsync(userName, cancellationToken).ConfigureAwait(false);
        if (workflowId is null)
        {
            return AccessRules.IsAllowed(grants, permission, null) ? AccessVerdict.Allowed : AccessVerdict.Forbidden;
        }

        var workflow = await _store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow is null || !AccessRules.IsAllowed(grants, Permission.ReadWorkflow, workflowId))
        {
            return AccessVerdict.NotFound;
        }

        return AccessRules.IsAllowed(grants, permission, workflowId) ? AccessVerdict.Allowed : AccessVerdict.Forbidden;
    }

    /// <summary>The workflows a person may see: all for an admin, otherwise those they hold a role on.</summary>
    public async Task<IReadOnlyList<WorkflowSummary>> VisibleWorkflowsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var userName = UserName(principal);
        if (userName is null)
        {
            return [];
        }

        var grants = await _accounts.GetGrantsAsync(userName, cancellationToken).ConfigureAwait(false);
        var all = await _store.ListWorkflowsAsync(cancellationToken).ConfigureAwait(false);
        return all.Where(w => AccessRules.IsAllowed(grants, Permission.ReadWorkflow, w.Id)).ToList();
    }
}
