using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skybridge.Application.Connectors;

/// <summary>How a stored credential is presented to the system.</summary>
public enum CredentialKind
{
    /// <summary><c>Authorization: Bearer VALUE</c>.</summary>
    Bearer,

    /// <summary><c>Authorization: Basic base64(USERNAME:VALUE)</c> (RFC 7617).</summary>
    Basic,

    /// <summary>The value in a header of its own (<see cref="ConnectorCredential.Header"/>, default <c>X-Api-Key</c>).</summary>
    ApiKey,
}

/// <summary>
/// A credential for one connector, in clear: it lives only in memory for the call that uses it. Its value never
/// appears in <see cref="ToString"/>.
/// </summary>
public sealed record ConnectorCredential
{
    /// <summary>The header an API key goes in unless another is named.</summary>
    public const string DefaultApiKeyHeader = "X-Api-Key";

    /// <summary>Bearer, basic or API key.</summary>
    public required CredentialKind Kind { get; init; }

    /// <summary>The token, password or key.</summary>
    public required string Value { get; init; }

    /// <summary>The user name of a basic credential, else null.</summary>
    public string? UserName { get; init; }

    /// <summary>The header of an API key, else null (meaning <see cref="DefaultApiKeyHeader"/>).</summary>
    public string? Header { get; init; }

    /// <summary>The stable name of <see cref="Kind"/> (<c>bearer</c>, <c>basic</c>, <c>api-key</c>).</summary>
    public string KindName => KindToName(Kind);

    /// <summary>The stable name of a kind.</summary>
    public static string KindToName(CredentialKind kind) => kind switch
    {
        CredentialKind.Bearer => "bearer",
        CredentialKind.Basic => "basic",
        CredentialKind.ApiKey => "api-key",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static CredentialKind? KindFromName(string? name) => name switch
    {
        "bearer" => CredentialKind.Bearer,
        "basic" => CredentialKind.Basic,
        "api-key" => CredentialKind.ApiKey,
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => $"ConnectorCredential({KindName})";

    internal byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(new Sealed(KindName, Value, UserName, Header), SealedJson.Default.Sealed);

    internal static ConnectorCredential FromJsonBytes(byte[] json)
    {
        var sealedValue = JsonSerializer.Deserialize(json, SealedJson.Default.Sealed) ?? throw new InvalidOperationException("A stored credential is empty.");
        return new ConnectorCredential
        {
            Kind = KindFromName(sealedValue.Kind) ?? throw new InvalidOperationException($"A stored credential has the unknown kind '{sealedValue.Kind}'."),
            Value = sealedValue.Value,
            UserName = sealedValue.UserName,
            Header = sealedValue.Header,
        };
    }

    internal sealed record Sealed(string Kind, string Value, string? UserName, string? Header);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConnectorCredential.Sealed))]
internal sealed partial class SealedJson : JsonSerializerContext;
