using System.Globalization;

namespace Skybridge.Core.Ledger;

/// <summary>
/// A tree head in the C2SP tlog-checkpoint format: the log's origin line, the tree size in ASCII decimal and the
/// RFC 6962 root hash in standard base64, each ending in a newline. It is the body of a signed note
/// (<see cref="LedgerSigner.Sign"/>), so a signature commits the log to exactly this size and root.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    /// <summary>"origin\nsize\nbase64(root)\n" (C2SP tlog-checkpoint, no extension lines).</summary>
    /// <exception cref="ArgumentException">An origin that is empty or spans lines, a negative size, or a root that is not 32 bytes.</exception>
    public string ToBody()
    {
        if (!IsValidOrigin(Origin))
        {
            throw new ArgumentException("A checkpoint origin is one non-empty line without control characters.", nameof(Origin));
        }

        if (Size < 0)
        {
            throw new ArgumentException("A tree size is never negative.", nameof(Size));
        }

        if (RootHash is not { Length: MerkleHash.Size })
        {
            throw new ArgumentException("An RFC 6962 root hash is 32 bytes.", nameof(RootHash));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Origin}\n{Size}\n{Convert.ToBase64String(RootHash)}\n");
    }

    /// <summary>
    /// Parses a checkpoint body. Extension lines after the root (C2SP tlog-checkpoint) are allowed, since they are
    /// covered by the signature, but not kept. False for anything else that is not a well-formed checkpoint: a size with
    /// leading zeros or a sign, a root that is not base64 of 32 bytes, a missing final newline.
    /// </summary>
    public static bool TryParseBody(string body, out Checkpoint? checkpoint)
    {
        checkpoint = null;
        if (string.IsNullOrEmpty(body) || body[^1] != '\n')
        {
            return false;
        }

        var lines = body[..^1].Split('\n');
        if (lines.Length < 3 || !IsValidOrigin(lines[0]))
        {
            return false;
        }

        // ASCII decimal without leading zeros keeps one text per size, so one size cannot be signed in two spellings.
        var sizeText = lines[1];
        if (sizeText.Length is 0 or > 19 || !sizeText.All(char.IsAsciiDigit) || (sizeText.Length > 1 && sizeText[0] == '0')
            || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return false;
        }

        var root = new byte[MerkleHash.Size];
        if (lines[2].Length != 44 || !Convert.TryFromBase64String(lines[2], root, out var written) || written != MerkleHash.Size
            || Convert.ToBase64String(root) != lines[2])
        {
            return false;
        }

        for (var i = 3; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                return false;
            }
        }

        checkpoint = new Checkpoint(lines[0], size, root);
        return true;
    }

    /// <summary>Value equality, including the bytes of the root.</summary>
    public bool Equals(Checkpoint? other) =>
        other is not null && Origin == other.Origin && Size == other.Size && RootHash.AsSpan().SequenceEqual(other.RootHash);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Origin, Size, Convert.ToHexString(RootHash ?? []));

    private static bool IsValidOrigin(string? origin) =>
        !string.IsNullOrEmpty(origin) && !origin.Any(char.IsControl);
}
