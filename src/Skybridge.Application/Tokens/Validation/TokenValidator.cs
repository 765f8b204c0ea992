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
    /// The state checks of a token whose signature held: revoked, its workflow halted, one of its agents (client and
    /// every actor) disabled. Null when it still counts. In memory: called on every API request.
    /// </summary>
    public OAuthError? CheckState(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (_state.IsRevoked(claims.TokenId))
        {
            return new OAuthError(OAuthError.InvalidToken, "The access token was revoked.");
        }

        if (claims.Workflow is { } workflow && _state.Halt(workflow) is not null)
        {
            return new OAuthError(OAuthError.InvalidToken, $"Workflow {workflow} is halted.");
        }

        if (IsDisabled(claims.ClientId) is { } disabled)
        {
            return disabled;
        }

        for (var actor = claims.Actor; actor is not null; actor = actor.Actor)
        {
            if (IsDisabled(actor.Subject) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private OAuthError? IsDisabled(string clientId) =>
        _state.Agent(clientId) is { } agent && agent.Status != AgentStatuses.Active
            ? new OAuthError(OAuthError.InvalidToken, $"Agent {clientId} is disabled.")
            : null;
}
