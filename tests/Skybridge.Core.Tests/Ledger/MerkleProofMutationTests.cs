using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

/// <summary>
/// Every way a transparency-log proof can be corrupted must fail verification (in the style of the corruption probes
/// of transparency-dev/merkle proof/verify_test.go). Runs over every proof of every tree up to 20 leaves.
/// </summary>
public sealed class MerkleProofMutationTests
{
    private const int MaxSize = 20;
    private static readonly byte[][] Leaves =
        Enumerable.Range(0, MaxSize + 1).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();

    private static readonly byte[][] Roots =
        Enumerable.Range(0, MaxSize + 2).Select(n => MerkleTree.Root(Leaves[..Math.Min(n, Leaves.Length)])).ToArray();

    private static readonly byte[] SomeHash = Convert.FromHexString(
        "abacaba000000000000000000000000000000000000000000060061e00123456");

    [Fact]
    public void VerifyInclusion_RejectsEveryMutation()
    {
        var source = new FakeLeafSource(Leaves);
        var checkedMutations = 0;
        for (long size = 1; size <= MaxSize; size++)
        {
            var root = Roots[size];
            for (long index = 0; index < size; index++)
            {
                var leaf = Leaves[index];
                var proof = MerkleTree.InclusionProof(index, size, source);
                Assert.True(MerkleTree.VerifyInclusion(index, size, leaf, proof, root));

                foreach (var (name, i, n, l, p, r) in InclusionMutations(index, size, leaf, proof, root))
                {
                    checkedMutations++;
                    Assert.False(
                        MerkleTree.VerifyInclusion(i, n, l, p, r),
                        $"inclusion of {index} in {size}: mutation '{name}' verified");
                }
            }
        }

        Assert.True(checkedMutations > 2000, $"only {checkedMutations} mutations were tried");
    }

    [Fact]
    public void VerifyConsistency_RejectsEveryMutation()
    {
        var source = new FakeLeafSource(Leaves);
        var checkedMutations = 0;
        for (long newSize = 2; newSize <= MaxSize; newSize++)
        {
            for (long oldSize = 1; oldSize < newSize; oldSize++)
            {
                var proof = MerkleTree.ConsistencyProof(oldSize, newSize, source);
                var oldRoot = Roots[oldSize];
                var newRoot = Roots[newSize];
                Assert.True(MerkleTree.VerifyConsistency(oldSize, newSize, oldRoot, newRoot, proof));

                foreach (var (name, m, n, r1, r2, p) in ConsistencyMutations(oldSize, newSize, oldRoot, newRoot, proof))
                {
                    checkedMutations++;
                    Assert.False(
                        MerkleTree.VerifyConsistency(m, n, r1, r2, p),
                        $"consistency {oldSize} -> {newSize}: mutation '{name}' verified");
                }
            }
        }

        Assert.True(checkedMutations > 2000, $"only {checkedMutations} mutations were tried");
    }

    private static IEnumerable<(string Name, long Index, long Size, byte[] Leaf, IReadOnlyList<byte[]> Proof, byte[] Root)>
        InclusionMutations(long index, long size, byte[] leaf, IReadOnlyList<byte[]> proof, byte[] root)
    {
        yield return ("index - 1", index - 1, size, leaf, proof, root);
        yield return ("index + 1", index + 1, size, leaf, proof, root);
        yield return ("index ^ 2", index ^ 2, size, leaf, proof, root);
        foreach (var (name, wrongSize) in new[] { ("size - 1", size - 1), ("size + 1", size + 1), ("size * 2", size * 2), ("size / 2", size / 2) })
        {
            // RFC 9162 §2.1.3.2 binds the size only through the shape of the path: when the claimed size walks the
            // same path the proof is the same statement, and only the signed root (bound to its size in the
            // checkpoint) can tell them apart. So: the signed root of the claimed size must fail, and so must the
            // original root whenever the path differs.
            if (InclusionWalk(index, wrongSize, proof.Count) != InclusionWalk(index, size, proof.Count))
            {
                yield return (name, index, wrongSize, leaf, proof, root);
            }

            if (wrongSize < Roots.Length)
            {
                yield return (name + " with its own root", index, wrongSize, leaf, proof, Roots[wrongSize]);
            }
        }

        yield return ("wrong leaf", index, size, Leaves[(index + 1) % (size + 1)], proof, root);
        yield return ("leaf data not hashed", index, size, MerkleHash.Leaf(leaf), proof, root);
        yield return ("empty root", index, size, leaf, proof, MerkleHash.EmptyRoot);
        yield return ("some root", index, size, leaf, proof, SomeHash);
        yield return ("trailing root", index, size, leaf, [.. proof, root], root);
        yield return ("trailing garbage", index, size, leaf, [.. proof, SomeHash], root);
        yield return ("trailing empty element", index, size, leaf, [.. proof, []], root);
        yield return ("preceding root", index, size, leaf, [root, .. proof], root);
        yield return ("preceding empty element", index, size, leaf, [[], .. proof], root);
        for (var i = 0; i < proof.Count; i++)
        {
            for (var bit = 0; bit < 256; bit += 37)
            {
                yield return ($"proof[{i}] bit {bit} flipped", index, size, leaf, FlipBit(proof, i, bit), root);
            }

            yield return ($"proof[{i}] removed", index, size, leaf, proof.Where((_, j) => j != i).ToArray(), root);
            yield return ($"proof[{i}] truncated to 31 bytes", index, size, leaf,
                proof.Select((h, j) => j == i ? h[..31] : h).ToArray(), root);
        }

        if (proof.Count > 0)
        {
            yield return ("truncated proof", index, size, leaf, proof.Take(proof.Count - 1).ToArray(), root);
            yield return ("empty proof", index, size, leaf, [], root);
        }

        if (proof.Count > 1)
        {
            yield return ("inserted element", index, size, leaf, [proof[0], SomeHash, .. proof.Skip(1)], root);
            yield return ("reversed proof", index, size, leaf, proof.Reverse().ToArray(), root);
        }
    }

    private static IEnumerable<(string Name, long OldSize, long NewSize, byte[] OldRoot, byte[] NewRoot, IReadOnlyList<byte[]> Proof)>
        ConsistencyMutations(long m, long n, byte[] oldRoot, byte[] newRoot, IReadOnlyList<byte[]> proof)
    {
        foreach (var (name, wrongOld, wrongNew) in new[]
        {
            ("old size - 1", m - 1, n), ("old size + 1", m + 1, n), ("old size ^ 2", m ^ 2, n),
            ("new size - 1", m, n - 1), ("new size + 1", m, n + 1), ("new size * 2", m, n * 2), ("new size / 2", m, n / 2),
        })
        {
            // As for inclusion: sizes that walk the same RFC 9162 §2.1.4.2 path are told apart only by their roots.
            if (ConsistencyWalk(wrongOld, wrongNew, proof.Count) != ConsistencyWalk(m, n, proof.Count))
            {
                yield return (name, wrongOld, wrongNew, oldRoot, newRoot, proof);
            }

            if (wrongOld >= 0 && wrongNew >= 0 && wrongOld < Roots.Length && wrongNew < Roots.Length
                && (wrongOld, wrongNew) != (m, n))
            {
                yield return (name + " with their own roots", wrongOld, wrongNew, Roots[wrongOld], Roots[wrongNew], proof);
            }
        }

        yield return ("swapped roots", m, n, newRoot, oldRoot, proof);
        yield return ("swapped sizes and roots", n, m, newRoot, oldRoot, proof);
        yield return ("wrong old root", m, n, Roots[m + 1], newRoot, proof);
        yield return ("wrong new root", m, n, oldRoot, Roots[n - 1], proof);
        yield return ("some old root", m, n, SomeHash, newRoot, proof);
        yield return ("some new root", m, n, oldRoot, SomeHash, proof);
        yield return ("empty proof", m, n, oldRoot, newRoot, []);
        yield return ("trailing old root", m, n, oldRoot, newRoot, [.. proof, oldRoot]);
        yield return ("trailing new root", m, n, oldRoot, newRoot, [.. proof, newRoot]);
        yield return ("trailing garbage", m, n, oldRoot, newRoot, [.. proof, SomeHash]);
        yield return ("trailing empty element", m, n, oldRoot, newRoot, [.. proof, []]);
        yield return ("preceding old root", m, n, oldRoot, newRoot, [oldRoot, .. proof]);
        yield return ("preceding new root", m, n, oldRoot, newRoot, [newRoot, .. proof]);
        yield return ("preceding proof[0]", m, n, oldRoot, newRoot, [proof[0], .. proof]);
        yield return ("inserted element", m, n, oldRoot, newRoot, [proof[0], SomeHash, .. proof.Skip(1)]);
        yield return ("truncated proof", m, n, oldRoot, newRoot, proof.Take(proof.Count - 1).ToArray());
        for (var i = 0; i < proof.Count; i++)
        {
            for (var bit = 0; bit < 256; bit += 37)
            {
                yield return ($"proof[{i}] bit {bit} flipped", m, n, oldRoot, newRoot, FlipBit(proof, i, bit));
            }

            yield return ($"proof[{i}] removed", m, n, oldRoot, newRoot, proof.Where((_, j) => j != i).ToArray());
            yield return ($"proof[{i}] truncated to 31 bytes", m, n, oldRoot, newRoot,
                proof.Select((h, j) => j == i ? h[..31] : h).ToArray());
        }

        if (proof.Count > 1)
        {
            yield return ("reversed proof", m, n, oldRoot, newRoot, proof.Reverse().ToArray());
        }
    }

    private static byte[][] FlipBit(IReadOnlyList<byte[]> proof, int element, int bit)
    {
        var copy = proof.Select(h => (byte[])h.Clone()).ToArray();
        copy[element][bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    // The decisions the RFC 9162 §2.1.3.2 verifier takes for a proof of this length: two (index, size) claims with
    // the same walk hash the same inputs the same way, so no verifier can tell them apart without the root.
    private static string InclusionWalk(long fn, long size, int count)
    {
        if (fn < 0 || fn >= size)
        {
            return "invalid";
        }

        return Walk(fn, size - 1, count);
    }

    // Likewise for RFC 9162 §2.1.4.2 (steps 2-6).
    private static string ConsistencyWalk(long m, long n, int count)
    {
        if (m <= 0 || m >= n)
        {
            return "special";
        }

        var prepend = System.Numerics.BitOperations.IsPow2(m);
        var fn = m - 1;
        var sn = n - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        return (prepend ? "P" : "-") + Walk(fn, sn, count + (prepend ? 1 : 0) - 1);
    }

    private static string Walk(long fn, long sn, int steps)
    {
        var walk = new System.Text.StringBuilder();
        for (var i = 0; i < steps; i++)
        {
            if (sn == 0)
            {
                return walk.Append('X').ToString();
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                walk.Append('L');
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                    walk.Append('^');
                }
            }
            else
            {
                walk.Append('R');
            }

            fn >>= 1;
            sn >>= 1;
        }

        return walk.Append(sn == 0 ? "." : "short").ToString();
    }
}
