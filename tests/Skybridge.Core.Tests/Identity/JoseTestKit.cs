using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Tests.Identity;

/// <summary>Hand-built JWS for the JOSE tests: any header, any payload, signed ES256 with a test key.</summary>
internal static class JoseTestKit
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);

    public static readonly Uri Endpoint = new("https://sky.example/oauth/token");

    public static string Sign(ECDsa key, JsonObject header, JsonObject payload)
    {
        var h = Base64UrlEncoder.Encode(header.ToJsonString());
        var b = Base64UrlEncoder.Encode(payload.ToJsonString());
        return h + "." + b + "." + Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256));
    }

    /// <summary>The public JWK of <paramref name="key"/>.</summary>
    public static JsonObject Jwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
    }
}
