using Skybridge.Core.Access;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Identity;

/// <summary>The agent asking for a delegated token: who it is and what its role allows.</summary>
/// <param name="ClientId">The agent's client id.</param>
/// <param name="Workflow">The workflow it belongs to.</param>
/// <param name="Role">Its role in the active manifest.</param>
public sealed record ActingAgent(string ClientId, string Workflow, AgentRole Role)
{
    /// <summary>The scopes the role may be granted.</summary>
    public ScopeSet RoleScopes => ScopeSet.Of(Role.Scopes);
}

/// <summary>What the new token of an exchange carries, or the error.</summary>
public sealed record ExchangeDecision(AccessTokenClaims? Token, OAuthError? Error)
{
    /// <summary>True when the exchange may go ahead.</summary>
    public bool IsAllowed => Token is not null;

    internal static ExchangeDecision Refuse(string code, string description) => new(null, new OAuthError(code, description));
}

/// <summary>
/// RFC 8693 token exchange, Skybridge's rules: delegation only narrows. The new token keeps the subject, adds the
/// actor to the front of the <c>act</c> chain, holds at most what both the subject token and the actor's role allow,
/// keeps to the subject's audiences, and never outlives the subject token. A request for more is refused, not trimmed.
/// </summary>
public static class TokenExchangePolicy
{
    /// <summary>
    /// Decides an exchange. <paramref name="subject"/> is a validated, unrevoked token of this server;
    /// <paramref name="subjectPersonMaySubmit"/> says whether a person subject may submit cases on the actor's workflow
    /// (the access table's <c>SubmitCase</c>): an agent that acts for any person acts only for those.
    /// The returned claims lack issuer, token id and key binding, which the token service fills in.
    /// </summary>
    public static ExchangeDecision Decide(AccessTokenClaims subject, ActingAgent actor, bool subjectPersonMaySubmit, ScopeSet? requestedScope, string? requestedResource, DateTimeOffset now, IdentitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(settings);

        if (subject.Workflow is not null && !string.Equals(subject.Workflow, actor.Workflow, StringComparison.Ordinal))
        {
            return ExchangeDecision.Refuse(OAuthError.InvalidGrant, "The subject token belongs to another workflow.");
        }

        if (string.Equals(subject.ClientId, actor.ClientId, StringComparison.Ordinal) || subject.Actor?.Chain().Contains(actor.ClientId) == true)
        {
            return ExchangeDecision.Refuse(OAuthError.InvalidGrant, "An agent cannot act for a token it already holds or acts in.");
        }

        // Who hands the token on: the current actor of a delegated token, else the token's own client.
        var isPerson = subject.IsPersonToken;
        var from = isPerson ? Subject.OfToken(subject.Subject) : Subject.Role(subject.Role ?? "?");
        var actsFor = actor.Role.ActsFor.Select(a => Subject.TryParse(a, out var s) ? s : null).OfType<Subject>().ToList();
        var allowed = isPerson
            ? actsFor.Contains(from) || (actsFor.Contains(Subject.AnyPerson) && subjectPersonMaySubmit)
            : subject.Role is not null && actsFor.Contains(from);
        if (!allowed)
        {
            return ExchangeDecision.Refuse(OAuthError.UnauthorizedClient, $"Agents of role '{actor.Role.Role}' may not act for {from} (acts_for in the manifest).");
        }

        var depth = subject.DelegationDepth + 1;
        if (depth > settings.MaxDelegationDepth)
        {
            return ExchangeDecision.Refuse(OAuthError.InvalidGrant, $"The delegation chain would hold {depth} actors; at most {settings.MaxDelegationDepth} are allowed.");
        }

        var grantable = subject.Scope.Intersect(actor.RoleScopes);
        ScopeSet scope;
        if (requestedScope is null || requestedScope.IsEmpty)
        {
            scope = grantable;
        }
        else
        {
            var beyond = requestedScope.Except(grantable);
            if (!beyond.IsEmpty)
            {
                return ExchangeDecision.Refuse(OAuthError.InvalidScope, $"The requested scope would widen the delegation: '{beyond}' is not within both the subject token and the role '{actor.Role.Role}'.");
            }

            scope = requestedScope;
        }

        if (scope.IsEmpty)
        {
            return ExchangeDecision.Refuse(OAuthError.InvalidScope, "The subject token and the actor's role have no scope in common.");
        }

        IReadOnlyList<string> audiences = subject.Audiences;
        if (requestedResource is not null)
        {
            if (!subject.Audiences.Contains(requestedResource, StringComparer.Ordinal))
            {
                return ExchangeDecision.Refuse(OAuthError.InvalidTarget, "The requested resource is not an audience of the subject token.");
            }

            audiences = [requestedResource];
        }

        var lifetime = now + settings.AgentTokenLifetime;
        return new ExchangeDecision(new AccessTokenClaims
        {
            Issuer = subject.Issuer,
            Subject = subject.Subject,
            Audiences = audiences,
            ClientId = actor.ClientId,
            Scope = scope,
            IssuedAt = now,
            ExpiresAt = lifetime < subject.ExpiresAt ? lifetime : subject.ExpiresAt,
            TokenId = "",
            KeyThumbprint = "",
            Workflow = actor.Workflow,
            Role = actor.Role.Role,
            Actor = new ActorClaim(actor.ClientId, subject.Actor),
            DerivedFrom = [subject.TokenId, .. subject.DerivedFrom],
        }, null);
    }
}
