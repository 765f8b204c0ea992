using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>
/// Server-provided DPoP nonces (RFC 9449 section 8) without server state: a nonce names a time window and carries a
/// MAC of it under a secret all nodes share, so any node accepts any node's nonce. A nonce is good for its window and
/// the next, so between one and two <see cref="IdentitySettings.NonceLifetime"/>s.
/// </summary>
public sealed class DPoPNonces
{
    private readonly byte[] _secret;
    private readonly long _windowTicks;

    /// <summary>Nonces under <paramref name="secret"/> (at least 32 bytes), windows of <paramref name="lifetime"/>.</summary>
    public DPoPNonces(byte[] secret, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("The nonce secret needs at least 32 bytes.", nameof(secret));
        }

        _secret = secret;
        _windowTicks = Math.Max(lifetime.Ticks, TimeSpan.TicksPerSecond);
    }

    /// <summary>The nonce to hand out now.</summary>
    public string Current(DateTimeOffset now) => Make(now.UtcTicks / _windowTicks);

    /// <summary>True for a nonce of the current or the previous window.</summary>
    public bool IsCurrent(string? nonce, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(nonce) || nonce.Length > 64)
        {
            return false;
        }

        var window = now.UtcTicks / _windowTicks;
        return FixedEquals(nonce, Make(window)) || FixedEquals(nonce, Make(window - 1));
    }

    private string Make(long window)
    {
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, window);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, message, mac);
        return Base64UrlEncoder.Encode(mac[..18].ToArray());
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));
}
