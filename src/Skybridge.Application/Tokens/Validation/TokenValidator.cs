using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Validation;

/// <summary>
/// Checks a token this server issued against its signature and against the node's state, for every place that takes
/// one: the DPoP authentication handler of the APIs, introspection, revocation and token exchange.
/// </summary>
public sealed class TokenValidator
{
    private readonly IdentityState _state;
    private readonly TokenSigningKeys _keys;
    private readonly IssuerUrls _urls;
    private readonly IdentitySettings _settings;

    /// <summary>The validator of one node.</summary>
    public TokenValidator(IdentityState state, TokenSigningKeys keys, IssuerUrls urls, SkybridgeNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _keys = keys;
        _urls = urls;
        _settings = options.Identity;
    }

    /// <summary>Signature, issuer, lifetime and (when given) audience only: what a token says, not whether it still counts.</summary>
    public AccessTokenCheck CheckSignature(string? token, DateTimeOffset now, string? audience = null) =>
        AccessTokens.Validate(token, _keys.Find, _urls.Issuer, audience, now, _settings);

    /// <summary>
    /// A token this server issued and that still counts: signature, issuer, lifetime, and <see cref="CheckState"/>.
    /// </summary>
    public AccessTokenCheck CheckIssued(string? token, DateTimeOffset now, string? audience = null)
    {
        var check = CheckSignature(token, now, audience);
        if (!check.IsValid)
        {
            return check;
        }

        var problem = CheckState(check.Claims!);
        return problem is null ? check : new AccessTokenCheck(null, problem);
    }

    /// <summary>
    /// The state checks of a token whose signature held, null when it still counts. A token ends, for good, when it or
    /// any token it was exchanged from is revoked; when its workflow is halted, or was halted or resumed after it was
    /// issued; when one of its agents (the client, every actor, and an agent subject) is disabled, or was disabled or
    /// re-enabled after it was issued. In memory: called on every API request.
    /// </summary>
    public OAuthError? CheckState(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (_state.IsRevoked(claims.TokenId))
        {
            return new OAuthError(OAuthError.InvalidToken, "The access token was revoked.");
        }

        // A loop, not LINQ: this runs on every agent request, and a method-group predicate is a new delegate each time.
        foreach (var parent in claims.DerivedFrom)
        {
            if (_state.IsRevoked(parent))
            {
                return new OAuthError(OAuthError.InvalidToken, "A token this one was exchanged from was revoked.");
            }
        }

        if (claims.Workflow is { } workflow)
        {
            if (_state.Halt(workflow) is not null)
            {
                return new OAuthError(OAuthError.InvalidToken, $"Workflow {workflow} is halted.");
            }

            if (IssuedBeforeCutoff(claims, TokenCutoffKinds.Workflow, workflow))
            {
                return new OAuthError(OAuthError.InvalidToken, $"The access token was issued before workflow {workflow} was last halted.");
            }
        }

        foreach (var agent in Agents(claims))
        {
            if (_state.Agent(agent) is { } known && known.Status != AgentStatuses.Active)
            {
                return new OAuthError(OAuthError.InvalidToken, $"Agent {agent} is disabled.");
            }

            if (IssuedBeforeCutoff(claims, TokenCutoffKinds.Agent, agent))
            {
                return new OAuthError(OAuthError.InvalidToken, $"The access token was issued before agent {agent} was last disabled.");
            }
        }

        return null;
    }

    /// <summary>Every agent a token speaks for: its client, each actor, and the subject when it is an agent.</summary>
    private static IEnumerable<string> Agents(AccessTokenClaims claims)
    {
        yield return claims.ClientId;
        for (var actor = claims.Actor; actor is not null; actor = actor.Actor)
        {
            yield return actor.Subject;
        }

        if (claims.SubjectOf is { IsAgent: true } subject && subject.Name != claims.ClientId)
        {
            yield return subject.Name;
        }
    }

    private bool IssuedBeforeCutoff(AccessTokenClaims claims, string kind, string id) =>
        _state.TokensVoidBefore(kind, id) is { } cutoff && claims.IssuedAt < cutoff;
}
