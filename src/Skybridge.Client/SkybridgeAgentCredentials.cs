using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Client;

/// <summary>
/// An agent's credentials file, as <c>skybridge agent register</c> writes it: who the agent is, where its server is,
/// and its private key (EC P-256). Keep the file readable by the agent's account only.
/// </summary>
public sealed class SkybridgeAgentCredentials
{
    private SkybridgeAgentCredentials(Uri issuer, Uri tokenEndpoint, string clientId, string? workflow, string? role, string? scope, string? resource, ECDsa key, string keyId)
    {
        Issuer = issuer;
        TokenEndpoint = tokenEndpoint;
        ClientId = clientId;
        Workflow = workflow;
        Role = role;
        Scope = scope;
        Resource = resource;
        Key = key;
        KeyId = keyId;
    }

    /// <summary>The server (token issuer); also the base address of its APIs.</summary>
    public Uri Issuer { get; }

    /// <summary>The token endpoint.</summary>
    public Uri TokenEndpoint { get; }

    /// <summary>The agent's client id, <c>WORKFLOW/NAME</c>.</summary>
    public string ClientId { get; }

    /// <summary>The agent's workflow.</summary>
    public string? Workflow { get; }

    /// <summary>The agent's role in the workflow.</summary>
    public string? Role { get; }

    /// <summary>The scopes to ask for (space-separated); null or empty asks for the role's scopes.</summary>
    public string? Scope { get; }

    /// <summary>The resource (audience) to ask tokens for, or null for the server's default.</summary>
    public string? Resource { get; }

    /// <summary>The key the agent authenticates with (client assertions).</summary>
    internal ECDsa Key { get; }

    /// <summary>The key's id (RFC 7638 thumbprint) as registered.</summary>
    public string KeyId { get; }

    /// <summary>Reads a credentials file. Problems name the file and what is wrong, never the key.</summary>
    public static SkybridgeAgentCredentials Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SkybridgeCredentialsException($"{path}: cannot be read ({ex.Message}).", ex);
        }

        return Parse(text, path);
    }

    /// <summary>Reads credentials from JSON text; <paramref name="source"/> names it in errors.</summary>
    public static SkybridgeAgentCredentials Parse(string json, string source = "credentials")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new SkybridgeCredentialsException($"{source}: not JSON (line {ex.LineNumber + 1}).", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            var problems = new List<string>();
            var issuer = Url(root, "issuer", problems, required: true);
            var tokenEndpoint = Url(root, "token_endpoint", problems, required: false) ?? (issuer is null ? null : new Uri(issuer.ToString().TrimEnd('/') + "/oauth/token"));
            var clientId = Text(root, "client_id", problems, required: true);
            ECDsa? key = null;
            string? kid = null;
            if (!root.TryGetProperty("key", out var jwk) || jwk.ValueKind != JsonValueKind.Object)
            {
                problems.Add("'key' (the agent's private JWK) is missing");
            }
            else
            {
                (key, kid) = ReadKey(jwk, problems);
            }

            if (problems.Count > 0)
            {
                key?.Dispose();
                throw new SkybridgeCredentialsException($"{source}: " + string.Join("; ", problems) + ".");
            }

            return new SkybridgeAgentCredentials(issuer!, tokenEndpoint!, clientId!, Text(root, "workflow", problems, false), Text(root, "role", problems, false),
                Text(root, "scope", problems, false), Text(root, "resource", problems, false), key!, kid!);
        }
    }

    private static string? Text(JsonElement root, string name, List<string> problems, bool required)
    {
        if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0)
        {
            return value.GetString();
        }

        if (required)
        {
            problems.Add($"'{name}' is missing");
        }

        return null;
    }

    private static Uri? Url(JsonElement root, string name, List<string> problems, bool required)
    {
        var text = Text(root, name, problems, required);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            problems.Add($"'{name}' is not an http(s) URL");
            return null;
        }

        return uri;
    }

    private static (ECDsa?, string?) ReadKey(JsonElement jwk, List<string> problems)
    {
        string? Member(string name) => jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (Member("kty") != "EC" || Member("crv") != "P-256")
        {
            problems.Add("'key' must be an EC P-256 JWK");
            return (null, null);
        }

        if (Member("d") is null)
        {
            problems.Add("'key' has no private part ('d'): this is a public key, not the agent's credentials");
            return (null, null);
        }

        ECDsa key;
        try
        {
            var parameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(Member("x")), Y = Base64UrlEncoder.DecodeBytes(Member("y")) },
                D = Base64UrlEncoder.DecodeBytes(Member("d")),
            };
            parameters.Validate();
            key = ECDsa.Create(parameters);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            problems.Add("'key' is not a valid EC P-256 key");
            return (null, null);
        }

        // x and y must be the public half of d: the server verifies with x and y, so a mismatch would only show up as
        // invalid_client on every request. A signature by d that x and y verify proves they belong together.
        var probe = RandomNumberGenerator.GetBytes(32);
        using (var publicHalf = ECDsa.Create(key.ExportParameters(includePrivateParameters: false)))
        {
            if (!publicHalf.VerifyHash(probe, key.SignHash(probe)))
            {
                key.Dispose();
                problems.Add("'key' is not a valid EC P-256 key (x and y are not the public half of d)");
                return (null, null);
            }
        }

        var thumbprint = DPoPKey.ThumbprintOf(key);
        var kid = Member("kid") ?? thumbprint;
        if (!string.Equals(kid, thumbprint, StringComparison.Ordinal))
        {
            key.Dispose();
            problems.Add("'key.kid' is not the key's RFC 7638 thumbprint");
            return (null, null);
        }

        return (key, kid);
    }
}

/// <summary>A credentials file that cannot be used; the message names the file and the problem.</summary>
public sealed class SkybridgeCredentialsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SkybridgeCredentialsException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
