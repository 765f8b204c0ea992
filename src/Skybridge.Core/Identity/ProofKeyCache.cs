using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>
/// A public key read from a DPoP proof's <c>jwk</c> header (RFC 9449 section 4.2), with what is derived from it: its
/// RFC 7638 thumbprint and a verifier per accepted algorithm. The key itself never leaves this class.
/// </summary>
internal sealed class ProofKey
{
    // Not through the library's process-wide provider cache: entries here are dropped when the cache is full, and a
    // provider must never be disposed under a request still verifying with it.
    private static readonly CryptoProviderFactory Factory = new() { CacheSignatureProviders = false };
    private readonly JsonWebKey _key;
    private readonly SignatureProvider?[] _verifiers = new SignatureProvider?[Jose.AsymmetricAlgorithms.Count];

    internal ProofKey(JsonWebKey key)
    {
        _key = key;
        Thumbprint = Jose.Thumbprint(key);
    }

    /// <summary>RFC 7638 thumbprint (SHA-256, base64url).</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// The verifier of this key under <paramref name="algorithm"/>, made once; null when the algorithm is not one of
    /// <see cref="Jose.AsymmetricAlgorithms"/> or the library cannot use it with this key (an RSA key under ES256), exactly as <see cref="Jose.VerifySignature"/> decides.
    /// </summary>
    public SignatureProvider? Verifier(string algorithm)
    {
        var index = -1;
        for (var i = 0; i < Jose.AsymmetricAlgorithms.Count; i++)
        {
            if (string.Equals(Jose.AsymmetricAlgorithms[i], algorithm, StringComparison.Ordinal))
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            return null;
        }

        if (Volatile.Read(ref _verifiers[index]) is { } made)
        {
            return made;
        }

        if (!Factory.IsSupportedAlgorithm(algorithm, _key))
        {
            return null;
        }

        SignatureProvider created;
        try
        {
            created = Factory.CreateForVerifying(_key, algorithm);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }

        var first = Interlocked.CompareExchange(ref _verifiers[index], created, null);
        if (first is not null)
        {
            created.Dispose();
            return first;
        }

        return created;
    }
}

/// <summary>
/// Proof keys by the exact JSON text of the <c>jwk</c> that carried them, within a bound. Agents sign every request
/// with the same key, and reading a JWK into the crypto library, its thumbprint and its verifier cost more than the
/// signature check itself. Whether a JWK is accepted (<see cref="Jose.TryReadPublicKey"/>) depends on its text alone,
/// so the same text always gets the same answer; any other text, even one member or a <c>kid</c> apart, is read
/// afresh. Refused keys are not kept. When full the cache starts again: it never refuses a key.
/// </summary>
internal sealed class ProofKeyCache(int capacity)
{
    /// <summary>The node-wide cache.</summary>
    public static ProofKeyCache Shared { get; } = new(10_000);

    // Longer jwks (RSA keys of several thousand bits) are still accepted; they are only looked up with a string.
    private const int MaxStackChars = 1024;
    private readonly ConcurrentDictionary<string, ProofKey> _keys = new(StringComparer.Ordinal);

    /// <summary>How many keys are held.</summary>
    public int Count => _keys.Count;

    /// <summary>The key of <paramref name="jwk"/>, or null with the reason <see cref="Jose.TryReadPublicKey"/> gives.</summary>
    public ProofKey? Read(JsonElement jwk, out string? problem)
    {
        problem = null;
        if (jwk.ValueKind == JsonValueKind.Object)
        {
            var raw = JsonMarshal.GetRawUtf8Value(jwk);
            if (raw.Length <= MaxStackChars)
            {
                Span<char> text = stackalloc char[raw.Length];
                var length = Encoding.UTF8.GetChars(raw, text);
                if (_keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text[..length], out var known))
                {
                    return known;
                }
            }
            else if (_keys.TryGetValue(jwk.GetRawText(), out var known))
            {
                return known;
            }
        }

        var key = Jose.TryReadPublicKey(jwk, out problem);
        if (key is null)
        {
            return null;
        }

        var read = new ProofKey(key);
        if (_keys.Count >= capacity)
        {
            // Dropped, not disposed: a request may still be verifying with one; the collector reclaims them.
            _keys.Clear();
        }

        return _keys.GetOrAdd(jwk.GetRawText(), read);
    }
}
