using System.Security.Cryptography;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The SHA-256 hashing of RFC 6962 §2.1 (restated in RFC 9162 §2.1.1). Leaves and interior nodes are hashed with
/// different one-byte prefixes so that a leaf can never be passed off as an interior node (second-preimage defence).
/// </summary>
public static class MerkleHash
{
    /// <summary>The length in bytes of every hash in the tree (SHA-256).</summary>
    public const int Size = 32;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    /// <summary>MTH({}) = SHA-256() — the root of the empty tree (RFC 6962 §2.1).</summary>
    public static byte[] EmptyRoot => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>MTH({d(0)}) = SHA-256(0x00 || d(0)) — the hash of one leaf (RFC 6962 §2.1).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> data) => Sha256Leaves.Hash(LeafPrefix, data, []);

    /// <summary>SHA-256(0x01 || left || right) — the hash of an interior node (RFC 6962 §2.1).</summary>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => Sha256Leaves.Hash(NodePrefix, left, right);
}
