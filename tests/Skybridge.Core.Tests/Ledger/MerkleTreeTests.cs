using System.Security.Cryptography;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

public sealed class MerkleTreeTests
{
    private static readonly byte[][] Leaves = Rfc6962Vectors.LeafHashes();

    [Fact]
    public void EmptyRoot_IsSha256OfNothing()
    {
        Assert.Equal(Rfc6962Vectors.Root(0), MerkleHash.EmptyRoot);
        Assert.Equal(Rfc6962Vectors.Root(0), MerkleTree.Root([]));
    }

    [Fact]
    public void Leaf_And_Node_UseDomainSeparationPrefixes()
    {
        // RFC 6962 §2.1: leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || l || r).
        Assert.Equal(SHA256.HashData([0x00, 0xAB]), MerkleHash.Leaf([0xAB]));
        Assert.Equal(SHA256.HashData([0x01, 0x02, 0x03]), MerkleHash.Node([0x02], [0x03]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Root_MatchesKnownAnswer_ForEachSize(int size)
    {
        Assert.Equal(Rfc6962Vectors.Root(size), MerkleTree.Root(Leaves[..size]));
    }

    public static TheoryData<long, long, string[]> KnownInclusionProofs => new()
    {
        // transparency-dev/merkle proof/verify_test.go `inclusionProofs` (1-based leaf there, 0-based here).
        { 0, 1, [] },
        {
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        {
            1, 5,
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(KnownInclusionProofs))]
    public void InclusionProof_MatchesKnownAnswer_AndVerifies(long index, long size, string[] expectedHex)
    {
        var source = new FakeLeafSource(Leaves);
        var proof = MerkleTree.InclusionProof(index, size, source);

        Assert.Equal(expectedHex, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleTree.VerifyInclusion(index, size, Leaves[index], proof, Rfc6962Vectors.Root((int)size)));
    }

    public static TheoryData<long, long, string[]> KnownConsistencyProofs => new()
    {
        // transparency-dev/merkle proof/verify_test.go `consistencyProofs`.
        { 1, 1, [] },
        {
            1, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        {
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
        {
            6, 7,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(KnownConsistencyProofs))]
    public void ConsistencyProof_MatchesKnownAnswer_AndVerifies(long oldSize, long newSize, string[] expectedHex)
    {
        var proof = MerkleTree.ConsistencyProof(oldSize, newSize, new FakeLeafSource(Leaves));

        Assert.Equal(expectedHex, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleTree.VerifyConsistency(
            oldSize, newSize, Rfc6962Vectors.Root((int)oldSize), Rfc6962Vectors.Root((int)newSize), proof));
    }

    [Fact]
    public void InclusionProofs_Verify_ForEverySizeUpTo64AndEveryIndex()
    {
        var leaves = Enumerable.Range(0, 64).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var source = new FakeLeafSource(leaves);
        for (var size = 1; size <= 64; size++)
        {
            var root = MerkleTree.Root(leaves[..size]);
            for (var index = 0; index < size; index++)
            {
                var proof = MerkleTree.InclusionProof(index, size, source);
                Assert.True(
                    MerkleTree.VerifyInclusion(index, size, leaves[index], proof, root),
                    $"inclusion of {index} in {size}");
            }
        }
    }

    [Fact]
    public void ConsistencyProofs_Verify_ForEveryPairUpTo64()
    {
        var leaves = Enumerable.Range(0, 64).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var source = new FakeLeafSource(leaves);
        var roots = Enumerable.Range(0, 65).Select(n => MerkleTree.Root(leaves[..n])).ToArray();
        for (var newSize = 1; newSize <= 64; newSize++)
        {
            for (var oldSize = 1; oldSize <= newSize; oldSize++)
            {
                var proof = MerkleTree.ConsistencyProof(oldSize, newSize, source);
                Assert.True(
                    MerkleTree.VerifyConsistency(oldSize, newSize, roots[oldSize], roots[newSize], proof),
                    $"consistency {oldSize} -> {newSize}");
            }
        }
    }

    [Fact]
    public void VerifyConsistency_FromEmptyTree_NeedsEmptyRootAndEmptyProof()
    {
        var root3 = Rfc6962Vectors.Root(3);
        Assert.Empty(MerkleTree.ConsistencyProof(0, 3, new FakeLeafSource(Leaves)));
        Assert.True(MerkleTree.VerifyConsistency(0, 3, MerkleHash.EmptyRoot, root3, []));
        Assert.False(MerkleTree.VerifyConsistency(0, 3, root3, root3, []));
        Assert.False(MerkleTree.VerifyConsistency(0, 3, MerkleHash.EmptyRoot, root3, [root3]));
        Assert.True(MerkleTree.VerifyConsistency(0, 0, MerkleHash.EmptyRoot, MerkleHash.EmptyRoot, []));
    }

    [Fact]
    public void VerifyConsistency_SameSize_NeedsEqualRootsAndEmptyProof()
    {
        var root = Rfc6962Vectors.Root(5);
        Assert.True(MerkleTree.VerifyConsistency(5, 5, root, root, []));
        Assert.False(MerkleTree.VerifyConsistency(5, 5, root, Rfc6962Vectors.Root(4), []));
        Assert.False(MerkleTree.VerifyConsistency(5, 5, root, root, [root]));
    }

    [Fact]
    public void Verify_ReturnsFalse_ForMalformedInputs_WithoutThrowing()
    {
        var root = Rfc6962Vectors.Root(8);
        var leaf = Leaves[0];
        var proof = MerkleTree.InclusionProof(0, 8, new FakeLeafSource(Leaves));

        Assert.False(MerkleTree.VerifyInclusion(0, 0, leaf, [], MerkleHash.EmptyRoot));
        Assert.False(MerkleTree.VerifyInclusion(8, 8, leaf, proof, root));
        Assert.False(MerkleTree.VerifyInclusion(-1, 8, leaf, proof, root));
        Assert.False(MerkleTree.VerifyInclusion(0, 8, leaf[..31], proof, root));
        Assert.False(MerkleTree.VerifyInclusion(0, 8, leaf, proof, root[..31]));
        Assert.False(MerkleTree.VerifyInclusion(0, 8, leaf, null!, root));
        Assert.False(MerkleTree.VerifyInclusion(0, 8, leaf, [proof[0], null!, proof[2]], root));
        Assert.False(MerkleTree.VerifyInclusion(0, 8, leaf, [proof[0], proof[1], proof[2][..31]], root));
        Assert.False(MerkleTree.VerifyInclusion(0, long.MaxValue, leaf, proof, root));
        Assert.False(MerkleTree.VerifyConsistency(8, 4, root, Rfc6962Vectors.Root(4), []));
        Assert.False(MerkleTree.VerifyConsistency(-1, 4, root, Rfc6962Vectors.Root(4), []));
        Assert.False(MerkleTree.VerifyConsistency(2, 8, Rfc6962Vectors.Root(2), root, null!));
        Assert.False(MerkleTree.VerifyConsistency(2, 8, Rfc6962Vectors.Root(2)[..31], root, [root]));
        Assert.False(MerkleTree.VerifyConsistency(1, long.MaxValue, Rfc6962Vectors.Root(1), root, [root]));
    }

    [Fact]
    public void InclusionProof_Throws_ForIndexOutsideTree()
    {
        // Generation runs on the server's own data: asking for a leaf that is not there is a bug, not a result.
        var source = new FakeLeafSource(Leaves);
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(8, 8, source));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.ConsistencyProof(5, 4, source));
    }

    [Fact]
    public void RangeSource_GivesSameProofsAsLeaves_AndReadsFarFewerNodes()
    {
        const long size = 1000;
        var (ranges, frontier) = FakeRangeSource.Build(size);
        var leaves = new FakeLeafSource(Enumerable.Range(0, (int)size).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray());
        var root = frontier.Root();

        Assert.Equal(MerkleTree.RangeHash(0, size, leaves), root);
        Assert.Equal(root, MerkleTree.RangeHash(0, size, ranges));
        foreach (var index in new long[] { 0, 1, 511, 512, 700, 998, 999 })
        {
            var expected = MerkleTree.InclusionProof(index, size, leaves);
            var actual = MerkleTree.InclusionProof(index, size, ranges);
            Assert.Equal(expected, actual);
            Assert.True(MerkleTree.VerifyInclusion(index, size, FakeLeafSource.SyntheticLeaf(index), actual, root));
        }

        foreach (var oldSize in new long[] { 1, 2, 3, 256, 511, 512, 513, 999 })
        {
            var expected = MerkleTree.ConsistencyProof(oldSize, size, leaves);
            var actual = MerkleTree.ConsistencyProof(oldSize, size, ranges);
            Assert.Equal(expected, actual);
            Assert.True(MerkleTree.VerifyConsistency(
                oldSize, size, MerkleTree.RangeHash(0, oldSize, leaves), root, actual));
        }
    }

    [Fact]
    public void RangeHash_FallsBackToLeaves_WhenTheSourceLacksASubtree()
    {
        // Storage may not have every subtree (e.g. written before it kept them): TryGetPerfectSubtree may say no.
        var leaves = Enumerable.Range(0, 37).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var empty = new FakeRangeSource(FakeLeafSource.SyntheticLeaf);

        Assert.Equal(MerkleTree.Root(leaves), MerkleTree.RangeHash(0, 37, empty));
        Assert.Equal(37, empty.LeafReads);
        Assert.Equal(MerkleTree.Root(leaves[5..20]), MerkleTree.RangeHash(5, 20, empty));
        Assert.Equal(MerkleHash.EmptyRoot, MerkleTree.RangeHash(9, 9, empty));
    }

    [Fact]
    public void Proofs_AtTenMillionLeaves_CostLogarithmicLookups()
    {
        // Storage answers every perfect aligned subtree; the proof must not fall back to reading leaves.
        var source = new FakeRangeSource(FakeLeafSource.SyntheticLeaf);
        var opaque = new OpaqueSubtrees(source);
        const long size = 10_000_000;

        var inclusion = MerkleTree.InclusionProof(6_543_210, size, opaque);
        var consistency = MerkleTree.ConsistencyProof(7_777_777, size, opaque);
        var root = MerkleTree.RangeHash(0, size, opaque);

        Assert.InRange(inclusion.Count, 23, 25);
        Assert.NotEmpty(consistency);
        Assert.Equal(32, root.Length);
        Assert.InRange(opaque.Lookups + opaque.LeafReads, 1, 400);
    }

    /// <summary>Pretends storage holds every perfect subtree (with made-up hashes) and counts what is asked.</summary>
    private sealed class OpaqueSubtrees(FakeRangeSource leaves) : IMerkleRangeSource
    {
        public int Lookups { get; private set; }

        public int LeafReads { get; private set; }

        public byte[] LeafHash(long index)
        {
            LeafReads++;
            return leaves.LeafHash(index);
        }

        public bool TryGetPerfectSubtree(int level, long index, out byte[] hash)
        {
            Lookups++;
            hash = SHA256.HashData(BitConverter.GetBytes(((long)level << 48) ^ index));
            return true;
        }
    }
}
