using System.Numerics;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The right edge of an append-only RFC 6962 tree: one perfect subtree hash per set bit of <see cref="Size"/>, largest
/// (leftmost) first. That is all that is needed to append a leaf and to compute MTH of the current size (RFC 6962
/// §2.1), so the writer keeps O(log n) hashes in memory instead of the whole tree. Not thread-safe: one writer appends.
/// </summary>
public sealed class MerkleFrontier
{
    private readonly List<byte[]> _hashes;

    private MerkleFrontier(long size, List<byte[]> hashes)
    {
        Size = size;
        _hashes = hashes;
    }

    /// <summary>An empty tree.</summary>
    public MerkleFrontier()
        : this(0, [])
    {
    }

    /// <summary>The number of leaves appended.</summary>
    public long Size { get; private set; }

    /// <summary>
    /// The frontier: hashes of the perfect subtrees whose sizes are the set bits of <see cref="Size"/>, from the
    /// largest (covering leaf 0) to the smallest (covering the last leaf). Copies; persist them to restore with
    /// <see cref="FromHashes"/>.
    /// </summary>
    public IReadOnlyList<byte[]> Hashes => _hashes.Select(h => (byte[])h.Clone()).ToArray();

    /// <summary>Rebuilds a frontier from hashes previously read from <see cref="Hashes"/>.</summary>
    /// <exception cref="ArgumentException">The count is not the number of set bits of size, or a hash is not 32 bytes.</exception>
    public static MerkleFrontier FromHashes(long size, IReadOnlyList<byte[]> hashes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count != BitOperations.PopCount((ulong)size))
        {
            throw new ArgumentException(
                $"A tree of {size} leaves has {BitOperations.PopCount((ulong)size)} frontier hashes, not {hashes.Count}.",
                nameof(hashes));
        }

        var copy = new List<byte[]>(hashes.Count);
        foreach (var hash in hashes)
        {
            if (hash is not { Length: MerkleHash.Size })
            {
                throw new ArgumentException("Every frontier hash must be 32 bytes.", nameof(hashes));
            }

            copy.Add((byte[])hash.Clone());
        }

        return new MerkleFrontier(size, copy);
    }

    /// <summary>
    /// Rebuilds the frontier of a tree of <paramref name="size"/> leaves from storage: one
    /// <see cref="MerkleTree.RangeHash"/> per set bit of size, each answered by a stored perfect subtree when the
    /// source has it.
    /// </summary>
    public static MerkleFrontier Restore(long size, IMerkleRangeSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(source);
        var hashes = new List<byte[]>(BitOperations.PopCount((ulong)size));
        long start = 0;
        for (var level = 62; level >= 0; level--)
        {
            var width = 1L << level;
            if ((size & width) != 0)
            {
                hashes.Add(MerkleTree.RangeHash(start, start + width, source));
                start += width;
            }
        }

        return new MerkleFrontier(size, hashes);
    }

    /// <summary>
    /// Appends one leaf hash. Each perfect aligned subtree this append completes — level L &gt;= 1 covering leaves
    /// [index * 2^L, (index + 1) * 2^L) — is reported to <paramref name="onPerfectSubtree"/> as (L, index, hash),
    /// smallest first, so storage can keep exactly the nodes <see cref="IMerkleRangeSource"/> serves.
    /// </summary>
    public void Append(ReadOnlySpan<byte> leafHash, Action<int, long, byte[]>? onPerfectSubtree = null)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leafHash));
        }

        // Appending leaf number `Size` merges one subtree per trailing one bit of Size, like a binary carry.
        var hash = leafHash.ToArray();
        var position = Size;
        var level = 0;
        while ((position & 1) == 1)
        {
            var left = _hashes[^1];
            _hashes.RemoveAt(_hashes.Count - 1);
            hash = MerkleHash.Node(left, hash);
            position >>= 1;
            level++;
            onPerfectSubtree?.Invoke(level, position, hash);
        }

        _hashes.Add(hash);
        Size++;
    }

    /// <summary>
    /// Appends a whole perfect subtree of 2^<paramref name="level"/> leaves whose hash was computed elsewhere (for
    /// example in parallel). The tree size must be a multiple of 2^level, so the subtree is aligned.
    /// </summary>
    public void AppendSubtree(int level, ReadOnlySpan<byte> subtreeHash)
    {
        if (level < 0 || level > 62 || (Size & ((1L << level) - 1)) != 0)
        {
            throw new ArgumentException($"A subtree of 2^{level} leaves cannot start at size {Size}.", nameof(level));
        }

        if (subtreeHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A subtree hash is 32 bytes.", nameof(subtreeHash));
        }

        // The same binary carry as Append, starting at the subtree's level.
        var hash = subtreeHash.ToArray();
        var position = Size >> level;
        while ((position & 1) == 1)
        {
            var left = _hashes[^1];
            _hashes.RemoveAt(_hashes.Count - 1);
            hash = MerkleHash.Node(left, hash);
            position >>= 1;
        }

        _hashes.Add(hash);
        Size += 1L << level;
    }

    /// <summary>MTH of the current tree (RFC 6962 §2.1); <see cref="MerkleHash.EmptyRoot"/> when empty.</summary>
    public byte[] Root()
    {
        if (_hashes.Count == 0)
        {
            return MerkleHash.EmptyRoot;
        }

        // RFC 6962 splits at the largest power of two, which is the leftmost frontier subtree; folding from the right
        // reproduces that split at every level.
        var root = (byte[])_hashes[^1].Clone();
        for (var i = _hashes.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_hashes[i], root);
        }

        return root;
    }
}
