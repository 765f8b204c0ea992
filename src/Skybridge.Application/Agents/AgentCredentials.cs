using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;

namespace Skybridge.Application.Agents;

/// <summary>
/// An agent's key pair, made where the agent runs: the private half goes into the agent's credentials file
/// (docs/identity.md), only the public half is registered with Skybridge.
/// </summary>
public sealed class AgentKeyPair
{
    private readonly ECParameters _parameters;

    private AgentKeyPair(ECParameters parameters) => _parameters = parameters;

    /// <summary>A new EC P-256 key pair.</summary>
    public static AgentKeyPair Generate()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new AgentKeyPair(ecdsa.ExportParameters(includePrivateParameters: true));
    }

    /// <summary>RFC 7638 thumbprint, used as <c>kid</c>.</summary>
    public string KeyId => Jose.Thumbprint(new JsonWebKey(PublicJwk));

    /// <summary>The public JWK as JSON: what the server stores.</summary>
    public string PublicJwk => new JsonObject
    {
        ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(_parameters.Q.X), ["y"] = Base64UrlEncoder.Encode(_parameters.Q.Y),
    }.ToJsonString();

    /// <summary>The agent's credentials file (private key included): write it with owner-only permissions.</summary>
    public string CredentialsJson(string issuer, string clientId, string workflow, string role, string scope)
    {
        var kid = KeyId;
        var file = new JsonObject
        {
            ["issuer"] = issuer,
            ["token_endpoint"] = issuer + "/oauth/token",
            ["client_id"] = clientId,
            ["workflow"] = workflow,
            ["role"] = role,
            ["scope"] = scope,
            ["resource"] = issuer + "/api",
            ["key"] = new JsonObject
            {
                ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(_parameters.Q.X), ["y"] = Base64UrlEncoder.Encode(_parameters.Q.Y),
                ["d"] = Base64UrlEncoder.Encode(_parameters.D), ["kid"] = kid, ["alg"] = "ES256", ["use"] = "sig",
            },
        };
        return file.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
