using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>
/// A compact JWS (RFC 7515 section 7.1) read for one check and then returned: the header and payload parsed as JSON
/// objects, the signing input and the signature, all in one pooled buffer. A DPoP proof is read on every agent request,
/// and building a token object, then decoding its parts again as JSON, cost more than the rest of the check together.
/// Stricter than a general JWT reader where RFC 7515 is strict: base64url (section 2) has no padding, no whitespace
/// and no characters outside its alphabet.
/// </summary>
internal sealed class CompactJws : IDisposable
{
    private readonly byte[] _buffer;
    private readonly int _signingInputLength;
    private readonly int _signatureOffset;
    private readonly int _signatureLength;
    private bool _disposed;

    private CompactJws(byte[] buffer, int signingInputLength, JsonDocument header, JsonDocument payload, int signatureOffset, int signatureLength)
    {
        _buffer = buffer;
        _signingInputLength = signingInputLength;
        Header = header;
        Payload = payload;
        _signatureOffset = signatureOffset;
        _signatureLength = signatureLength;
    }

    /// <summary>The protected header, a JSON object.</summary>
    public JsonDocument Header { get; }

    /// <summary>The claims set, a JSON object.</summary>
    public JsonDocument Payload { get; }

    /// <summary>
    /// Reads <paramref name="compact"/>. Null with the same problems as <see cref="Jose.TryRead"/> for anything that is
    /// not three base64url parts with JSON object header and payload, or is longer than <paramref name="maxLength"/>.
    /// A malformed signature part is not a parsing problem: it fails <see cref="Verify"/>, as with <see cref="Jose.VerifySignature"/>.
    /// </summary>
    public static CompactJws? TryRead(string? compact, int maxLength, out string? problem)
    {
        if (!Jose.IsCompactShape(compact, maxLength, out problem))
        {
            return null;
        }

        var text = compact.AsSpan();
        var firstDot = text.IndexOf('.');
        var secondDot = firstDot + 1 + text[(firstDot + 1)..].IndexOf('.');
        var encodedHeader = text[..firstDot];
        var encodedPayload = text[(firstDot + 1)..secondDot];
        var encodedSignature = text[(secondDot + 1)..];
        if (!IsBase64Url(encodedHeader) || !IsBase64Url(encodedPayload))
        {
            problem = "is not a well-formed JWT";
            return null;
        }

        // Layout: signing input (ASCII of header.payload), header JSON, payload JSON, signature. Decoded parts are
        // never longer than their base64url text.
        byte[]? buffer = ArrayPool<byte>.Shared.Rent(secondDot + encodedHeader.Length + encodedPayload.Length + encodedSignature.Length);
        JsonDocument? header = null;
        JsonDocument? payload = null;
        try
        {
            var signingInputLength = Encoding.ASCII.GetBytes(text[..secondDot], buffer);
            var headerOffset = signingInputLength;
            if (Base64Url.DecodeFromChars(encodedHeader, buffer.AsSpan(headerOffset), out _, out var headerLength) != OperationStatus.Done)
            {
                problem = "is not a well-formed JWT";
                return null;
            }

            var payloadOffset = headerOffset + headerLength;
            if (Base64Url.DecodeFromChars(encodedPayload, buffer.AsSpan(payloadOffset), out _, out var payloadLength) != OperationStatus.Done)
            {
                problem = "is not a well-formed JWT";
                return null;
            }

            var signatureOffset = payloadOffset + payloadLength;
            var signatureLength = -1;
            if (IsBase64Url(encodedSignature)
                && Base64Url.DecodeFromChars(encodedSignature, buffer.AsSpan(signatureOffset), out _, out var decoded) == OperationStatus.Done)
            {
                signatureLength = decoded;
            }

            header = JsonDocument.Parse(buffer.AsMemory(headerOffset, headerLength));
            payload = JsonDocument.Parse(buffer.AsMemory(payloadOffset, payloadLength));
            if (header.RootElement.ValueKind != JsonValueKind.Object || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = "is not a well-formed JWT";
                return null;
            }

            var read = new CompactJws(buffer, signingInputLength, header, payload, signatureOffset, signatureLength);
            header = null;
            payload = null;
            buffer = null;
            return read;
        }
        catch (JsonException)
        {
            problem = "is not a well-formed JWT";
            return null;
        }
        finally
        {
            header?.Dispose();
            payload?.Dispose();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>True when the signature verifies with <paramref name="verifier"/>; false for a malformed signature part.</summary>
    public bool Verify(SignatureProvider verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_signatureLength < 0)
        {
            return false;
        }

        try
        {
            // The signature gets an array of its own length: the library's ECDSA check refuses a signature given as a
            // slice of a longer array (Microsoft.IdentityModel 8.23), so the offsets overload is used for the input only.
            var signature = _buffer.AsSpan(_signatureOffset, _signatureLength).ToArray();
            return verifier.Verify(_buffer, 0, _signingInputLength, signature, 0, signature.Length);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>RFC 7515 section 2: base64url with every trailing '=' omitted, nothing else.</summary>
    private static bool IsBase64Url(ReadOnlySpan<char> part)
    {
        foreach (var c in part)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Header.Dispose();
        Payload.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
