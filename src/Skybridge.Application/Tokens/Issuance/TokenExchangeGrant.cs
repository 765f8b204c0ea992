using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>
/// Token exchange (RFC 8693): an agent acts for the subject of a token it was handed, within what both the subject
/// token and its role allow (<see cref="TokenExchangePolicy"/>).
/// </summary>
internal sealed class TokenExchangeGrant(IdentityState state, TokenValidator validator, ISkybridgeStore store, IssuerUrls urls, SkybridgeNodeOptions options)
{
    public async Task<GrantResult> DecideAsync(StoredAgent agent, IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (IssuanceRules.Runnable(state, agent, out var refused) is not { } role)
        {
            return refused!;
        }

        if (form.GetValueOrDefault("requested_token_type") is { } wanted && wanted != GrantTypes.AccessTokenType)
        {
            return TokenRefusal.Of(OAuthError.InvalidRequest, "Only access tokens are issued (requested_token_type " + GrantTypes.AccessTokenType + ").", agent.ClientId, agent.WorkflowId);
        }

        if (!form.TryGetValue("subject_token", out var subjectToken) || form.GetValueOrDefault("subject_token_type") is not (GrantTypes.AccessTokenType or GrantTypes.JwtTokenType))
        {
            return TokenRefusal.Of(OAuthError.InvalidRequest, "subject_token and subject_token_type (" + GrantTypes.AccessTokenType + ") are required.", agent.ClientId, agent.WorkflowId);
        }

        var subject = validator.CheckIssued(subjectToken, now);
        if (subject.Error is not null)
        {
            return TokenRefusal.Of(OAuthError.InvalidGrant, "The subject token is refused: " + subject.Error.Description, agent.ClientId, agent.WorkflowId);
        }

        AccessTokenClaims? actorClaims = null;
        if (form.TryGetValue("actor_token", out var actorToken))
        {
            if (form.GetValueOrDefault("actor_token_type") is not (GrantTypes.AccessTokenType or GrantTypes.JwtTokenType))
            {
                return TokenRefusal.Of(OAuthError.InvalidRequest, "actor_token_type (" + GrantTypes.AccessTokenType + ") is required with actor_token.", agent.ClientId, agent.WorkflowId);
            }

            // The actor token says who acts; it must be this client's own, undelegated token.
            var actor = validator.CheckIssued(actorToken, now);
            if (actor.Error is not null || actor.Claims!.ClientId != agent.ClientId || actor.Claims.Actor is not null)
            {
                return TokenRefusal.Of(OAuthError.InvalidGrant, "The actor token is not a valid token of this client.", agent.ClientId, agent.WorkflowId);
            }

            actorClaims = actor.Claims;
        }
        else if (form.ContainsKey("actor_token_type"))
        {
            return TokenRefusal.Of(OAuthError.InvalidRequest, "actor_token_type without actor_token.", agent.ClientId, agent.WorkflowId);
        }

        if (!ScopeSet.TryParse(form.GetValueOrDefault("scope"), out var requested))
        {
            return TokenRefusal.Of(OAuthError.InvalidScope, "The scope parameter is malformed.", agent.ClientId, agent.WorkflowId);
        }

        var claims = subject.Claims!;
        var personMaySubmit = await PersonMaySubmitAsync(claims, agent.WorkflowId, cancellationToken).ConfigureAwait(false);
        var decision = TokenExchangePolicy.Decide(claims, new ActingAgent(agent.ClientId, agent.WorkflowId, role), personMaySubmit,
            requested, form.GetValueOrDefault("resource"), now, options.Identity);
        if (!decision.IsAllowed)
        {
            return new TokenRefusal(decision.Error!, agent.ClientId, agent.WorkflowId, proof.KeyThumbprint);
        }

        var token = decision.Token! with { Issuer = urls.Issuer, TokenId = TokenSigner.NewTokenId(), KeyThumbprint = proof.KeyThumbprint };
        if (actorClaims is not null)
        {
            // The actor token vouched for who acts: revoking it ends the delegation too, and the delegation never
            // outlives it (a revocation is only remembered while the revoked token could still be used).
            token = token with
            {
                DerivedFrom = [.. token.DerivedFrom, actorClaims.TokenId],
                ExpiresAt = token.ExpiresAt < actorClaims.ExpiresAt ? token.ExpiresAt : actorClaims.ExpiresAt,
            };
        }

        return new GrantResult.Granted(token, claims.TokenId);
    }

    /// <summary>
    /// Whether a person's own subject token comes from someone the access table lets submit cases on the workflow: an
    /// agent acting for any person (<c>acts_for: user:*</c>) works only for them.
    /// </summary>
    private async Task<bool> PersonMaySubmitAsync(AccessTokenClaims claims, string workflowId, CancellationToken cancellationToken)
    {
        if (!claims.SubjectOf.IsPerson || claims.Actor is not null)
        {
            return false;
        }

        var grants = await store.ListRoleGrantsForUserAsync(claims.SubjectOf.Name, cancellationToken).ConfigureAwait(false);
        return AccessRules.IsAllowed(AccountService.RolesOf(grants), Permission.SubmitCase, workflowId);
    }
}
