namespace Skybridge.Core.Ledger;

/// <summary>
/// Gives the tree algorithms the leaf hashes of a log (RFC 6962 §2.1: MTH over the leaf hashes). The storage edge
/// implements it over its table of leaves; the core never reads storage itself.
/// </summary>
public interface IMerkleNodeSource
{
    /// <summary>The leaf hash (<see cref="MerkleHash.Leaf"/>) of the entry at <paramref name="index"/>.</summary>
    byte[] LeafHash(long index);
}

/// <summary>
/// A <see cref="IMerkleNodeSource"/> that also stores the hashes of perfect, aligned subtrees — the ones
/// <see cref="MerkleFrontier.Append"/> reports. <see cref="MerkleTree.RangeHash"/> uses them instead of recursing to
/// the leaves, so a proof in a tree of millions of leaves costs O(log n) look-ups rather than O(n) leaf reads.
/// </summary>
public interface IMerkleRangeSource : IMerkleNodeSource
{
    /// <summary>
    /// The hash of the perfect subtree of 2^<paramref name="level"/> leaves that starts at leaf
    /// <paramref name="index"/> * 2^<paramref name="level"/>, if the source holds it. Returning false is always
    /// allowed: the caller then computes the hash from smaller subtrees.
    /// </summary>
    bool TryGetPerfectSubtree(int level, long index, out byte[] hash);
}

/// <summary>An in-memory list of leaf hashes seen as a node source.</summary>
internal sealed class ListNodeSource(IReadOnlyList<byte[]> leafHashes) : IMerkleNodeSource
{
    public byte[] LeafHash(long index) => leafHashes[checked((int)index)];
}
