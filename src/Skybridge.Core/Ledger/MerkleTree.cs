using System.Numerics;
using System.Security.Cryptography;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The Merkle Tree Hash, audit paths and consistency proofs of RFC 6962 §2.1, and their verification exactly as
/// specified in RFC 9162 §2.1.3.2 and §2.1.4.2. Generation trusts its source (bad arguments are bugs and throw);
/// verification trusts nothing (any malformed input returns false, never throws).
/// </summary>
public static class MerkleTree
{
    /// <summary>MTH(D[n]) over already-hashed leaves (RFC 6962 §2.1); <see cref="MerkleHash.EmptyRoot"/> when empty.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        return RangeHash(0, leafHashes.Count, new ListNodeSource(leafHashes));
    }

    /// <summary>
    /// MTH(D[start:end]) (RFC 6962 §2.1): split at k, the largest power of two smaller than n, and hash
    /// MTH(D[start:start+k]) with MTH(D[start+k:end]). When <paramref name="source"/> is an
    /// <see cref="IMerkleRangeSource"/>, stored perfect aligned subtrees are used instead of recursing; every range
    /// RFC 6962 proofs ask for decomposes into O(log n) such subtrees.
    /// </summary>
    public static byte[] RangeHash(long start, long end, IMerkleNodeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        return start == end ? MerkleHash.EmptyRoot : RangeHashCore(start, end, source, source as IMerkleRangeSource);
    }

    /// <summary>PATH(m, D[n]) of RFC 6962 §2.1.1 (the inclusion proof of RFC 9162 §2.1.3.1), leaf side first.</summary>
    public static IReadOnlyList<byte[]> InclusionProof(long index, long treeSize, IMerkleNodeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, treeSize);
        var ranges = source as IMerkleRangeSource;
        var path = new List<byte[]>(64 - BitOperations.LeadingZeroCount((ulong)treeSize));
        AddPath(index, 0, treeSize, source, ranges, path);
        return path;
    }

    /// <summary>
    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 §2.1.2 (RFC 9162 §2.1.4.1). The proof between a size and
    /// itself, or from the empty tree, is empty: RFC 6962 defines proofs only for 0 &lt; m &lt; n.
    /// </summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(long oldSize, long newSize, IMerkleNodeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(newSize, oldSize);
        var proof = new List<byte[]>();
        if (oldSize == 0 || oldSize == newSize)
        {
            return proof;
        }

        AddSubProof(oldSize, 0, newSize, startsAtRoot: true, source, source as IMerkleRangeSource, proof);
        return proof;
    }

    /// <summary>
    /// Verifies an inclusion proof with the algorithm of RFC 9162 §2.1.3.2. False for index &gt;= size, hashes that
    /// are not 32 bytes, and proofs with too many or too few elements.
    /// </summary>
    public static bool VerifyInclusion(
        long index, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        // Step 1: leaf_index must be inside the tree.
        if (proof is null || index < 0 || treeSize <= 0 || index >= treeSize
            || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size
            || proof.Count > 64 || !AllHashes(proof))
        {
            return false;
        }

        // Step 2-3.
        var fn = index;
        var sn = treeSize - 1;
        var r = leafHash.ToArray();

        // Step 4.
        foreach (var p in proof)
        {
            // 4a: more elements than the path from this leaf to the root has.
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                if ((fn & 1) == 0)
                {
                    // fn is a right-most node whose sibling is missing at these levels: climb without hashing.
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // Step 5: sn == 0 rejects a proof that stopped short of the root.
        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>
    /// Verifies a consistency proof with the algorithm of RFC 9162 §2.1.4.2. The cases RFC 9162 leaves out are
    /// decided strictly: equal sizes need an empty proof and equal roots; from size 0 the old root must be the empty
    /// tree's root and the proof empty. False for oldSize &gt; newSize and hashes that are not 32 bytes.
    /// </summary>
    public static bool VerifyConsistency(
        long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        if (proof is null || oldSize < 0 || oldSize > newSize
            || oldRoot.Length != MerkleHash.Size || newRoot.Length != MerkleHash.Size
            || proof.Count > 64 || !AllHashes(proof))
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, newRoot);
        }

        if (oldSize == 0)
        {
            // Every tree extends the empty tree; we still insist the claimed old root is that of the empty tree.
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, MerkleHash.EmptyRoot);
        }

        // Step 1.
        if (proof.Count == 0)
        {
            return false;
        }

        // Step 2: when first is a power of two the old tree is a complete subtree whose hash the proof omits.
        IReadOnlyList<byte[]> path = proof;
        if (BitOperations.IsPow2(oldSize))
        {
            var withOld = new List<byte[]>(proof.Count + 1) { oldRoot.ToArray() };
            withOld.AddRange(proof);
            path = withOld;
        }

        // Step 3-4.
        var fn = oldSize - 1;
        var sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        // Step 5.
        var fr = path[0];
        var sr = path[0];

        // Step 6.
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // Step 7.
        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, oldRoot)
            && CryptographicOperations.FixedTimeEquals(sr, newRoot);
    }

    /// <summary>The largest power of two strictly smaller than n (n &gt;= 2), the split point of RFC 6962 §2.1.</summary>
    internal static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    private static byte[] RangeHashCore(long start, long end, IMerkleNodeSource source, IMerkleRangeSource? ranges)
    {
        var n = end - start;
        if (n == 1)
        {
            return source.LeafHash(start);
        }

        // A perfect subtree aligned on its own size is exactly what MerkleFrontier reported and storage kept.
        if (ranges is not null && BitOperations.IsPow2(n) && start % n == 0)
        {
            var level = BitOperations.Log2((ulong)n);
            if (ranges.TryGetPerfectSubtree(level, start >> level, out var stored) && stored is { Length: MerkleHash.Size })
            {
                return stored;
            }
        }

        var k = SplitPoint(n);
        return MerkleHash.Node(
            RangeHashCore(start, start + k, source, ranges),
            RangeHashCore(start + k, end, source, ranges));
    }

    // PATH(m, D[start:end]) of RFC 6962 §2.1.1: recurse first so the sibling nearest the leaf comes first.
    private static void AddPath(
        long m, long start, long end, IMerkleNodeSource source, IMerkleRangeSource? ranges, List<byte[]> path)
    {
        var n = end - start;
        if (n <= 1)
        {
            return;
        }

        var k = SplitPoint(n);
        if (m < k)
        {
            AddPath(m, start, start + k, source, ranges, path);
            path.Add(RangeHashCore(start + k, end, source, ranges));
        }
        else
        {
            AddPath(m - k, start + k, end, source, ranges, path);
            path.Add(RangeHashCore(start, start + k, source, ranges));
        }
    }

    // SUBPROOF(m, D[start:end], b) of RFC 6962 §2.1.2.
    private static void AddSubProof(
        long m, long start, long end, bool startsAtRoot, IMerkleNodeSource source, IMerkleRangeSource? ranges,
        List<byte[]> proof)
    {
        var n = end - start;
        if (m == n)
        {
            // The old tree is this whole subtree: the verifier already knows its hash only if it is the old root.
            if (!startsAtRoot)
            {
                proof.Add(RangeHashCore(start, end, source, ranges));
            }

            return;
        }

        var k = SplitPoint(n);
        if (m <= k)
        {
            AddSubProof(m, start, start + k, startsAtRoot, source, ranges, proof);
            proof.Add(RangeHashCore(start + k, end, source, ranges));
        }
        else
        {
            AddSubProof(m - k, start + k, end, startsAtRoot: false, source, ranges, proof);
            proof.Add(RangeHashCore(start, start + k, source, ranges));
        }
    }

    private static bool AllHashes(IReadOnlyList<byte[]> proof)
    {
        foreach (var element in proof)
        {
            if (element is not { Length: MerkleHash.Size })
            {
                return false;
            }
        }

        return true;
    }
}
