using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The one SHA-256-of-text digest: lower-case hex of SHA-256 over the text's UTF-8 bytes. The ledger records inputs
/// and outputs with it (docs/ledger.md), and the same digest names manifest versions, document versions, passages,
/// device codes and migrations, so a value computed in one place can be recomputed and compared in another.
/// </summary>
public static class TextDigest
{
    /// <summary>Inputs up to this many UTF-8 bytes are encoded on the stack; longer ones use a pooled buffer.</summary>
    private const int StackLimit = 1024;

    /// <summary>Lower-case hex SHA-256 of <paramref name="text"/>'s UTF-8 bytes (64 characters).</summary>
    public static string Sha256(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Sha256(text.AsSpan());
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="text"/>'s UTF-8 bytes, for text not held as a string.</summary>
    public static string Sha256(ReadOnlySpan<char> text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (maxBytes <= StackLimit)
        {
            Span<byte> utf8 = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(text, utf8);
            SHA256.HashData(utf8[..length], hash);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
            try
            {
                var length = Encoding.UTF8.GetBytes(text, rented);
                SHA256.HashData(rented.AsSpan(0, length), hash);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return Convert.ToHexStringLower(hash);
    }
}
