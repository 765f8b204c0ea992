using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Client;

/// <summary>
/// The key an agent's tokens are bound to (RFC 9449), and the proofs it signs. By default each client makes a fresh
/// EC P-256 key that never leaves its memory: a token stolen from logs or traffic is useless without it.
/// </summary>
public sealed class DPoPKey : IDisposable
{
    private const int SignatureBytes = 64; // ES256: r and s of 32 bytes each (RFC 7518 section 3.4)
    private readonly ECDsa _key;
    private readonly AsymmetricSignatureProvider _signer;
    private readonly byte[] _encodedHeader;

    // One writer per thread, reset for each proof: a proof's claims are written straight to UTF-8 JSON.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_claims;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private DPoPKey(ECDsa key)
    {
        _key = key;
        // One signer for this key, made here and used for every proof (it is safe to share between threads). Not the
        // library's process-wide provider cache: that cache is keyed by key material, and would hand a later DPoPKey
        // with the same material a provider holding this instance's (then disposed) key.
        _signer = new AsymmetricSignatureProvider(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256, willCreateSignatures: true);
        var p = key.ExportParameters(includePrivateParameters: false);

        // The protected header is the same for every proof of this key (RFC 9449 section 4.2): typ, alg and the public
        // jwk. It is written and encoded once.
        var header = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", SecurityAlgorithms.EcdsaSha256);
            writer.WriteString("typ", "dpop+jwt");
            writer.WriteStartObject("jwk");
            writer.WriteString("kty", "EC");
            writer.WriteString("crv", "P-256");
            writer.WriteString("x", Base64UrlEncoder.Encode(p.Q.X));
            writer.WriteString("y", Base64UrlEncoder.Encode(p.Q.Y));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        _encodedHeader = Encoding.ASCII.GetBytes(Base64UrlEncoder.Encode(header.WrittenSpan.ToArray()));
        Thumbprint = ThumbprintOf(key);
    }

    /// <summary>A new, random key.</summary>
    public static DPoPKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// The key with its private part, as a JWK, for a session that must outlive the process (the CLI's session file,
    /// written with owner-only permissions). An agent process has no reason to call this.
    /// </summary>
    public Dictionary<string, string> ExportPrivateJwk()
    {
        var p = _key.ExportParameters(includePrivateParameters: true);
        return new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y), ["d"] = Base64UrlEncoder.Encode(p.D),
        };
    }

    /// <summary>A key from <see cref="ExportPrivateJwk"/>'s members.</summary>
    public static DPoPKey Import(IReadOnlyDictionary<string, string> jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        return new(ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk["x"]), Y = Base64UrlEncoder.DecodeBytes(jwk["y"]) },
            D = Base64UrlEncoder.DecodeBytes(jwk["d"]),
        }));
    }

    /// <summary>RFC 7638 thumbprint: what the server puts in the token's <c>cnf.jkt</c>.</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// A proof for one request (RFC 9449 section 4.2): <c>htu</c> without query and fragment, <c>ath</c> when a token is
    /// presented, the server's nonce when it gave one.
    /// </summary>
    public string CreateProof(HttpMethod method, Uri uri, string? nonce = null, string? accessToken = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        var claims = t_claims ??= new ArrayBufferWriter<byte>(512);
        claims.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(claims);
        writer.Reset(claims);

        writer.WriteStartObject();
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        Span<char> text = stackalloc char[43];
        writer.WriteString("jti", text[..Base64Url.EncodeToChars(random, text)]);
        writer.WriteString("htm", method.Method);
        writer.WriteString("htu", uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped));
        writer.WriteNumber("iat", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (nonce is not null)
        {
            writer.WriteString("nonce", nonce);
        }

        if (accessToken is not null)
        {
            // base64url(SHA-256(ASCII(token))), RFC 9449 section 4.2.
            var rented = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(accessToken.Length));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(rented.AsSpan(0, Encoding.ASCII.GetBytes(accessToken, rented)), hash);
            ArrayPool<byte>.Shared.Return(rented);
            writer.WriteString("ath", text[..Base64Url.EncodeToChars(hash, text)]);
        }

        writer.WriteEndObject();
        writer.Flush();

        // The signing input is ASCII(header '.' payload) (RFC 7515 section 5.1), built in one pooled buffer.
        var payloadChars = Base64Url.GetEncodedLength(claims.WrittenCount);
        var inputLength = _encodedHeader.Length + 1 + payloadChars;
        var totalLength = inputLength + 1 + Base64Url.GetEncodedLength(SignatureBytes);
        var input = ArrayPool<byte>.Shared.Rent(totalLength);
        try
        {
            _encodedHeader.CopyTo(input, 0);
            input[_encodedHeader.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(claims.WrittenSpan, input.AsSpan(_encodedHeader.Length + 1), out _, out _);
            Span<byte> signature = stackalloc byte[SignatureBytes];
            if (!_signer.Sign(input.AsSpan(0, inputLength), signature, out var signed) || signed != SignatureBytes)
            {
                throw new CryptographicException("The DPoP key did not produce an ES256 signature.");
            }

            input[inputLength] = (byte)'.';
            Base64Url.EncodeToUtf8(signature, input.AsSpan(inputLength + 1), out _, out _);
            return Encoding.ASCII.GetString(input, 0, totalLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    internal static string ThumbprintOf(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonWebKey { Kty = "EC", Crv = "P-256", X = Base64UrlEncoder.Encode(p.Q.X), Y = Base64UrlEncoder.Encode(p.Q.Y) };
        return Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _signer.Dispose();
        _key.Dispose();
    }
}
