using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>Signs a granted token with the node's current key, records its issuance in the ledger, and builds the answer.</summary>
internal sealed class TokenSigner(TokenSigningKeys keys, ILedger ledger)
{
    /// <summary>A fresh token id (<c>jti</c>): 144 random bits.</summary>
    public static string NewTokenId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18));

    /// <summary>The RFC 6749 section 5.1 answer body, after the issuance is in the ledger.</summary>
    public async Task<JsonObject> SignAsync(GrantResult.Granted grant, string grantType, CancellationToken cancellationToken)
    {
        var claims = grant.Claims;
        var token = AccessTokens.Create(claims, keys.Current);
        var exchange = grantType == GrantTypes.TokenExchange;
        await ledger.AppendAsync(new LedgerEntry
        {
            Type = exchange ? LedgerEventTypes.TokenExchanged : LedgerEventTypes.TokenIssued,
            Actors = TokenActors.Of(claims),
            WorkflowId = claims.Workflow,
            Resource = new LedgerResource("access_token", claims.TokenId),
            Outcome = "issued",
            Content = new JsonObject
            {
                ["grant_type"] = grantType,
                ["client_id"] = claims.ClientId,
                ["sub"] = claims.Subject,
                ["scope"] = claims.Scope.ToString(),
                ["aud"] = string.Join(' ', claims.Audiences),
                ["exp"] = LedgerEventFormat.FormatTime(claims.ExpiresAt),
                ["jkt"] = claims.KeyThumbprint,
                ["act"] = claims.Actor is null ? null : string.Join(" <- ", claims.Actor.Chain()),
                ["subject_token_id"] = grant.SubjectTokenId,
            },
        }, cancellationToken).ConfigureAwait(false);

        var body = new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "DPoP",
            ["expires_in"] = (long)Math.Round((claims.ExpiresAt - claims.IssuedAt).TotalSeconds),
            ["scope"] = claims.Scope.ToString(),
        };
        if (exchange)
        {
            body["issued_token_type"] = GrantTypes.AccessTokenType;
        }

        return body;
    }
}
