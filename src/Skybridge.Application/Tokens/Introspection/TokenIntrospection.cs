using System.Text.Json.Nodes;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens.Introspection;

/// <summary>
/// Token introspection (RFC 7662) for an agent authenticated with <c>private_key_jwt</c>. An agent learns about
/// tokens of its own workflow only; anything else, and every invalid token, is just <c>{"active": false}</c>.
/// </summary>
public sealed class TokenIntrospection
{
    private readonly ClientAuthenticator _clients;
    private readonly TokenValidator _validator;
    private readonly TokenRefusals _refusals;
    private readonly TimeProvider _time;

    internal TokenIntrospection(ClientAuthenticator clients, TokenValidator validator, TokenRefusals refusals, TimeProvider time)
    {
        _clients = clients;
        _validator = validator;
        _refusals = refusals;
        _time = time;
    }

    /// <summary>Answers one introspection request.</summary>
    public async Task<TokenResponse> IntrospectAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var now = _time.GetUtcNow();
        var (client, token, answer) = await _clients.AuthenticateForTokenAsync(form, now, "introspection", _refusals, cancellationToken).ConfigureAwait(false);
        if (answer is not null)
        {
            return answer;
        }

        var check = _validator.CheckIssued(token, now);
        if (!check.IsValid || check.Claims!.Workflow != client!.Agent.WorkflowId)
        {
            return new TokenResponse(200, new JsonObject { ["active"] = false }, null);
        }

        var c = check.Claims;
        var body = new JsonObject
        {
            ["active"] = true,
            ["scope"] = c.Scope.ToString(),
            ["client_id"] = c.ClientId,
            ["token_type"] = "DPoP",
            ["exp"] = c.ExpiresAt.ToUnixTimeSeconds(),
            ["iat"] = c.IssuedAt.ToUnixTimeSeconds(),
            ["nbf"] = c.IssuedAt.ToUnixTimeSeconds(),
            ["sub"] = c.Subject,
            ["aud"] = c.Audiences.Count == 1 ? c.Audiences[0] : new JsonArray([.. c.Audiences.Select(a => (JsonNode)a)]),
            ["iss"] = c.Issuer,
            ["jti"] = c.TokenId,
            ["cnf"] = new JsonObject { ["jkt"] = c.KeyThumbprint },
            ["workflow"] = c.Workflow,
            ["role"] = c.Role,
        };
        if (c.Actor is not null)
        {
            body["act"] = ActJson(c.Actor);
        }

        return new TokenResponse(200, body, null);
    }

    private static JsonObject ActJson(ActorClaim actor)
    {
        var node = new JsonObject { ["sub"] = actor.Subject };
        if (actor.Actor is not null)
        {
            node["act"] = ActJson(actor.Actor);
        }

        return node;
    }
}
