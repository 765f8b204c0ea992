using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The public half of a ledger signing key, named as in C2SP signed-note: the name is the key's identity in signature
/// lines, and the key ID (<see cref="KeyId"/>) lets a verifier pick the right key among several during rotation.
/// </summary>
public sealed record LedgerVerifierKey(string Name, byte[] PublicKey)
{
    /// <summary>The C2SP signed-note signature type of Ed25519.</summary>
    internal const byte Ed25519Type = 0x01;

    /// <summary>
    /// The first four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key) (C2SP signed-note, "Key ID").
    /// </summary>
    public uint KeyId => ComputeKeyId(Name, PublicKey);

    /// <summary>The C2SP vkey text: name+hex8(key ID)+base64(0x01 || public key).</summary>
    public string ToVerifierString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}+{KeyId:x8}+{Convert.ToBase64String([Ed25519Type, .. PublicKey])}");

    /// <summary>
    /// Parses a vkey. False for anything malformed: an invalid name, a key type other than Ed25519, a key that is not
    /// 32 bytes, or a key ID that does not match the name and key (which would otherwise let a typo pass silently).
    /// </summary>
    public static bool TryParse(string vkey, out LedgerVerifierKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(vkey))
        {
            return false;
        }

        // The base64 key may itself contain '+': the name has none and the key ID is 8 hex digits, so split twice only.
        var parts = vkey.Split('+', 3);
        if (parts.Length != 3 || !SignedNote.IsValidKeyName(parts[0]) || parts[1].Length != 8
            || !parts[1].All(char.IsAsciiHexDigitLower)
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            return false;
        }

        var decoded = new byte[33];
        if (!Convert.TryFromBase64String(parts[2], decoded, out var written) || written != 33 || decoded[0] != Ed25519Type)
        {
            return false;
        }

        var candidate = new LedgerVerifierKey(parts[0], decoded[1..]);
        if (candidate.KeyId != id)
        {
            return false;
        }

        key = candidate;
        return true;
    }

    /// <summary>Value equality, including the key bytes.</summary>
    public bool Equals(LedgerVerifierKey? other) =>
        other is not null && Name == other.Name && PublicKey.AsSpan().SequenceEqual(other.PublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Convert.ToHexString(PublicKey ?? []));

    internal static uint ComputeKeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = Ed25519Type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    internal bool VerifySignature(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (PublicKey is not { Length: 32 } || signature.Length != 64
            || !NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, PublicKey, KeyBlobFormat.RawPublicKey, out var publicKey)
            || publicKey is null)
        {
            return false;
        }

        return SignatureAlgorithm.Ed25519.Verify(publicKey, message, signature);
    }
}

/// <summary>
/// An Ed25519 ledger signing key that signs checkpoints as C2SP signed notes. The 32-byte seed is exportable so the
/// storage edge can keep it (readable by the service account only); the core never stores it.
/// </summary>
public sealed class LedgerSigner
{
    private readonly byte[] _seed;

    private LedgerSigner(string keyName, byte[] seed)
    {
        if (!SignedNote.IsValidKeyName(keyName))
        {
            throw new ArgumentException(
                "C2SP signed-note: a key name is non-empty and has no spaces or '+'.", nameof(keyName));
        }

        if (seed is not { Length: 32 })
        {
            throw new ArgumentException("An Ed25519 private key seed is 32 bytes.", nameof(seed));
        }

        _seed = (byte[])seed.Clone();
        using var key = ImportKey();
        PublicKey = new LedgerVerifierKey(keyName, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The key name written in every signature line.</summary>
    public string KeyName => PublicKey.Name;

    /// <summary>A copy of the 32-byte Ed25519 private key seed (RFC 8032 §5.1.5), for the edge to store.</summary>
    public byte[] PrivateKeySeed => (byte[])_seed.Clone();

    /// <summary>The public key to publish (see <see cref="LedgerVerifierKey.ToVerifierString"/>).</summary>
    public LedgerVerifierKey PublicKey { get; }

    /// <summary>A new random key.</summary>
    public static LedgerSigner Generate(string keyName) => new(keyName, RandomNumberGenerator.GetBytes(32));

    /// <summary>The key with this seed, as read back from storage.</summary>
    public static LedgerSigner FromPrivateKey(string keyName, byte[] seed32) => new(keyName, seed32);

    /// <summary>
    /// Signs a note body (for a ledger, <see cref="Checkpoint.ToBody"/>): the body, a blank line, and
    /// "— name base64(keyID || Ed25519 signature of the body)" (C2SP signed-note).
    /// </summary>
    /// <exception cref="ArgumentException">The body is empty, does not end in a newline, or holds control characters.</exception>
    public string Sign(string noteBody)
    {
        if (!SignedNote.IsValidBody(noteBody))
        {
            throw new ArgumentException(
                "C2SP signed-note: the text is non-empty, ends with a newline and has no other control characters.",
                nameof(noteBody));
        }

        return noteBody + "\n" + SignatureLine(noteBody);
    }

    /// <summary>
    /// Adds this key's signature to an already signed note, e.g. to sign with both the old and the new key while a
    /// key rotation is under way. The existing signatures are kept as they are, not checked.
    /// </summary>
    /// <exception cref="ArgumentException">The note is not a well-formed signed note.</exception>
    public string AddSignature(string signedNote)
    {
        if (!SignedNote.TrySplit(signedNote, out var body, out _))
        {
            throw new ArgumentException("Not a well-formed C2SP signed note.", nameof(signedNote));
        }

        return signedNote + SignatureLine(body);
    }

    private string SignatureLine(string body)
    {
        using var key = ImportKey();
        var signature = SignatureAlgorithm.Ed25519.Sign(key, Encoding.UTF8.GetBytes(body));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, PublicKey.KeyId);
        signature.CopyTo(blob, 4);
        return $"{SignedNote.SignaturePrefix}{KeyName} {Convert.ToBase64String(blob)}\n";
    }

    private Key ImportKey() =>
        Key.Import(SignatureAlgorithm.Ed25519, _seed, KeyBlobFormat.RawPrivateKey);
}
