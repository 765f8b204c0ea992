using System.Buffers.Binary;
using System.Text;

namespace Skybridge.Core.Ledger;

/// <summary>Why a signed checkpoint did not verify.</summary>
public enum NoteVerificationError
{
    /// <summary>Verified.</summary>
    None = 0,

    /// <summary>Not a C2SP signed note: no blank line before the signatures, a bad signature line, bad base64.</summary>
    MalformedNote,

    /// <summary>No signature is by a key in the trusted list (matched by name and key ID).</summary>
    UnknownKey,

    /// <summary>A signature by a trusted key does not verify: the body or the signature was altered.</summary>
    BadSignature,

    /// <summary>The signatures verify but the body is not a C2SP tlog-checkpoint.</summary>
    NotACheckpoint,
}

/// <summary>
/// The outcome of <see cref="SignedNote.Verify"/>. On success <see cref="Body"/> and <see cref="Checkpoint"/> are the
/// verified text and its parsed tree head, and <see cref="VerifiedKeyNames"/> names every trusted key that signed.
/// On failure both are null: nothing unverified is handed on.
/// </summary>
public sealed record NoteVerification(
    NoteVerificationError Error,
    string? Body,
    Checkpoint? Checkpoint,
    IReadOnlyList<string> VerifiedKeyNames,
    string? Message)
{
    /// <summary>True when at least one trusted key signed the note and its body is a checkpoint.</summary>
    public bool IsVerified => Error == NoteVerificationError.None;

    internal static NoteVerification Failed(NoteVerificationError error, string message) =>
        new(error, null, null, [], message);
}

/// <summary>
/// Verification of C2SP signed notes carrying ledger checkpoints. A note is the signed text, a blank line, then one
/// line per signature: "— " (U+2014, space), the key name, a space, base64(4-byte key ID || signature).
/// Signatures by keys not in the list are ignored, as C2SP signed-note requires, so a note cosigned by others, or
/// signed by both an old and a new key during a rotation, verifies against whichever of them is trusted.
/// </summary>
public static class SignedNote
{
    internal const string SignaturePrefix = "\u2014 ";

    // C2SP signed-note lets verifiers bound the work an attacker can cause; golang.org/x/mod/sumdb/note uses 100.
    private const int MaxSignatures = 100;

    /// <summary>Verifies <paramref name="note"/> against the trusted <paramref name="keys"/>. Never throws for bad input.</summary>
    public static NoteVerification Verify(string note, IReadOnlyList<LedgerVerifierKey> keys)
    {
        if (!TrySplit(note, out var body, out var signatureLines))
        {
            return NoteVerification.Failed(NoteVerificationError.MalformedNote, "Not a signed note: text, blank line, signature lines.");
        }

        var parsed = new List<(string Name, uint KeyId, byte[] Signature)>(signatureLines.Count);
        foreach (var line in signatureLines)
        {
            if (!TryParseSignatureLine(line, out var signature))
            {
                return NoteVerification.Failed(NoteVerificationError.MalformedNote, "A signature line is malformed.");
            }

            parsed.Add(signature);
        }

        var message = Encoding.UTF8.GetBytes(body);
        var verified = new List<string>();
        foreach (var (name, keyId, signature) in parsed)
        {
            var key = keys?.FirstOrDefault(k => k is not null && k.Name == name && k.KeyId == keyId);
            if (key is null)
            {
                continue;
            }

            // A trusted key whose signature fails means the note was altered: reject outright rather than fall back
            // to some other signature, so tampering is reported as such.
            if (!key.VerifySignature(message, signature))
            {
                return NoteVerification.Failed(NoteVerificationError.BadSignature, $"The signature by '{name}' does not verify.");
            }

            if (!verified.Contains(name, StringComparer.Ordinal))
            {
                verified.Add(name);
            }
        }

        if (verified.Count == 0)
        {
            return NoteVerification.Failed(NoteVerificationError.UnknownKey, "unknown key id: no signature by a trusted key.");
        }

        if (!Checkpoint.TryParseBody(body, out var checkpoint))
        {
            return NoteVerification.Failed(NoteVerificationError.NotACheckpoint, "The signed text is not a tlog checkpoint.");
        }

        return new NoteVerification(NoteVerificationError.None, body, checkpoint, verified, null);
    }

    /// <summary>C2SP signed-note: a key name is non-empty and contains no Unicode spaces and no '+'.</summary>
    internal static bool IsValidKeyName(string? name) =>
        !string.IsNullOrEmpty(name) && !name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '+');

    /// <summary>C2SP signed-note: the text is non-empty, ends in a newline and has no other control characters.</summary>
    internal static bool IsValidBody(string? body) =>
        !string.IsNullOrEmpty(body) && body[^1] == '\n' && !body.Any(c => c != '\n' && char.IsControl(c))
        && !HasLoneSurrogate(body);

    /// <summary>Splits a note at its last blank line into the signed text and the signature lines.</summary>
    internal static bool TrySplit(string? note, out string body, out IReadOnlyList<string> signatureLines)
    {
        body = string.Empty;
        signatureLines = [];
        if (string.IsNullOrEmpty(note) || note[^1] != '\n')
        {
            return false;
        }

        // The signatures start after the last "\n\n": signature lines are never empty, so that split is unambiguous.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || split + 2 >= note.Length)
        {
            return false;
        }

        var text = note[..(split + 1)];
        var lines = note[(split + 2)..^1].Split('\n');
        if (!IsValidBody(text) || lines.Length is 0 or > MaxSignatures || lines.Any(l => l.Length == 0))
        {
            return false;
        }

        body = text;
        signatureLines = lines;
        return true;
    }

    private static bool TryParseSignatureLine(string line, out (string Name, uint KeyId, byte[] Signature) signature)
    {
        signature = default;
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = line[SignaturePrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return false;
        }

        var name = rest[..space];
        var encoded = rest[(space + 1)..];
        if (!IsValidKeyName(name) || encoded.Length == 0 || encoded.Length > 1024)
        {
            return false;
        }

        var blob = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, blob, out var written) || written <= 4
            || Convert.ToBase64String(blob, 0, written) != encoded)
        {
            return false;
        }

        signature = (name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..written]);
        return true;
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
