using Skybridge.Core.Identity;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>Checks every agent grant makes before it issues anything.</summary>
internal static class IssuanceRules
{
    /// <summary>The agent's role in the active manifest, or the refusal: its workflow is halted, or the role is gone.</summary>
    public static AgentRole? Runnable(IdentityState state, StoredAgent agent, out TokenRefusal? refusal)
    {
        refusal = null;
        if (state.Halt(agent.WorkflowId) is { } halt)
        {
            refusal = TokenRefusal.Of(OAuthError.UnauthorizedClient, $"Workflow {agent.WorkflowId} is halted ({halt.Reason}); no tokens are issued for it.", agent.ClientId, agent.WorkflowId);
            return null;
        }

        var role = state.Role(agent.WorkflowId, agent.Role);
        if (role is null)
        {
            refusal = TokenRefusal.Of(OAuthError.UnauthorizedClient, $"Role '{agent.Role}' is not in the active manifest of {agent.WorkflowId}.", agent.ClientId, agent.WorkflowId);
        }

        return role;
    }

    /// <summary>The audience asked for with <c>resource</c> (RFC 8707), or the first one this server issues for.</summary>
    public static string? Audience(IReadOnlyDictionary<string, string> form, IReadOnlyList<string> allowed, out TokenRefusal? refusal)
    {
        refusal = null;
        if (!form.TryGetValue("resource", out var resource))
        {
            return allowed[0];
        }

        // RFC 8707 section 2: an absolute URI without a fragment, and one this server issues tokens for.
        if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0)
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidTarget, "resource must be an absolute URI without a fragment.");
            return null;
        }

        if (!allowed.Contains(resource, StringComparer.Ordinal))
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidTarget, "Tokens are issued for these resources only: " + string.Join(", ", allowed) + ".");
            return null;
        }

        return resource;
    }
}
