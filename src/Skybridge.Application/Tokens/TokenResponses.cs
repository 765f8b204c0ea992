using System.Text.Json.Nodes;
using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens;

/// <summary>A token endpoint request as read off the wire: the form (each parameter once) and the DPoP header values.</summary>
/// <param name="Form">Form parameters; a repeated parameter was already refused.</param>
/// <param name="DPoPHeaders">Every <c>DPoP</c> header value sent (exactly one is required).</param>
/// <param name="Uri">The endpoint URI as the client names it (public URL + path).</param>
public sealed record TokenRequest(IReadOnlyDictionary<string, string> Form, IReadOnlyList<string> DPoPHeaders, Uri Uri);

/// <summary>What an OAuth endpoint answers: status, JSON body, and the nonce to send along (null for none).</summary>
public sealed record TokenResponse(int Status, JsonObject Body, string? Nonce)
{
    /// <summary>An RFC 6749 section 5.2 error answer: 401 for <c>invalid_client</c>, else 400.</summary>
    public static TokenResponse Refused(OAuthError error, string? nonce) =>
        new(error?.Code == OAuthError.InvalidClient ? 401 : 400, ErrorBody(error!), nonce);

    /// <summary>An RFC 6749 section 5.2 error body.</summary>
    public static JsonObject ErrorBody(OAuthError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new JsonObject { ["error"] = error.Code, ["error_description"] = error.Description };
    }
}

/// <summary>The grant and token types the token endpoint speaks.</summary>
public static class GrantTypes
{
    /// <summary>RFC 6749 section 4.4.</summary>
    public const string ClientCredentials = "client_credentials";

    /// <summary>RFC 8693 grant type.</summary>
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>RFC 8628 grant type (the CLI signing a person in).</summary>
    public const string DeviceCode = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8693 token type of access tokens.</summary>
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>RFC 8693 token type of JWTs (accepted for subject and actor tokens: ours are JWTs).</summary>
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
}

/// <summary>
/// Why a token request was refused, with what the ledger should know: the client and workflow when known, and the
/// key the request's DPoP proof named.
/// </summary>
/// <param name="Error">The OAuth error to answer with.</param>
/// <param name="ClientId">The client, once its assertion was read; null before.</param>
/// <param name="Workflow">The client's workflow, when known.</param>
/// <param name="KeyThumbprint">The DPoP key of the request, when its proof held.</param>
public sealed record TokenRefusal(OAuthError Error, string? ClientId = null, string? Workflow = null, string? KeyThumbprint = null)
{
    /// <summary>A refusal with a new error.</summary>
    public static TokenRefusal Of(string code, string description, string? clientId = null, string? workflow = null) =>
        new(new OAuthError(code, description), clientId, workflow);
}
