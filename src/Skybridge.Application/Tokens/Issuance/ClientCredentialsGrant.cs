using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>The <c>client_credentials</c> grant (RFC 6749 section 4.4): an agent's own token, within its role's scopes.</summary>
internal sealed class ClientCredentialsGrant(IdentityState state, IssuerUrls urls, SkybridgeNodeOptions options)
{
    public GrantResult Decide(StoredAgent agent, IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now)
    {
        if (IssuanceRules.Runnable(state, agent, out var refused) is not { } role)
        {
            return refused!;
        }

        var roleScopes = ScopeSet.Of(role.Scopes);
        if (!ScopeSet.TryParse(form.GetValueOrDefault("scope"), out var requested))
        {
            return TokenRefusal.Of(OAuthError.InvalidScope, "The scope parameter is malformed.", agent.ClientId, agent.WorkflowId);
        }

        var beyond = requested.Except(roleScopes);
        if (!beyond.IsEmpty)
        {
            return TokenRefusal.Of(OAuthError.InvalidScope, $"'{beyond}' is beyond role '{agent.Role}' (allowed: {roleScopes}).", agent.ClientId, agent.WorkflowId);
        }

        var scope = requested.IsEmpty ? roleScopes : requested;
        if (scope.IsEmpty)
        {
            return TokenRefusal.Of(OAuthError.InvalidScope, $"Role '{agent.Role}' has no scopes.", agent.ClientId, agent.WorkflowId);
        }

        if (IssuanceRules.Audience(form, urls.Resources, out var audError) is not { } audience)
        {
            return audError! with { ClientId = agent.ClientId, Workflow = agent.WorkflowId };
        }

        return new GrantResult.Granted(new AccessTokenClaims
        {
            Issuer = urls.Issuer,
            Subject = Core.Access.Subject.Agent(agent.ClientId).ToString(),
            Audiences = [audience],
            ClientId = agent.ClientId,
            Scope = scope,
            IssuedAt = now,
            ExpiresAt = now + options.Identity.AgentTokenLifetime,
            TokenId = TokenSigner.NewTokenId(),
            KeyThumbprint = proof.KeyThumbprint,
            Workflow = agent.WorkflowId,
            Role = agent.Role,
        });
    }
}
