using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

public sealed class MerkleFrontierTests
{
    [Fact]
    public void Root_EqualsTreeRoot_ForEverySizeUpTo300()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var frontier = new MerkleFrontier();
        Assert.Equal(MerkleHash.EmptyRoot, frontier.Root());
        for (var size = 1; size <= 300; size++)
        {
            frontier.Append(leaves[size - 1]);
            Assert.Equal(size, frontier.Size);
            Assert.Equal(MerkleTree.Root(leaves[..size]), frontier.Root());
        }
    }

    [Fact]
    public void Root_MatchesKnownAnswers()
    {
        var frontier = new MerkleFrontier();
        var leaves = Rfc6962Vectors.LeafHashes();
        for (var size = 1; size <= 8; size++)
        {
            frontier.Append(leaves[size - 1]);
            Assert.Equal(Rfc6962Vectors.Root(size), frontier.Root());
        }
    }

    [Fact]
    public void Append_ReportsExactlyThePerfectAlignedSubtrees_WithTheirHashes()
    {
        const int size = 300;
        var leaves = Enumerable.Range(0, size).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var reported = new List<(int Level, long Index, byte[] Hash, long AfterLeaf)>();
        var frontier = new MerkleFrontier();
        for (var i = 0; i < size; i++)
        {
            var leafNumber = i;
            frontier.Append(leaves[i], (level, index, hash) => reported.Add((level, index, hash, leafNumber)));
        }

        // Every subtree of 2^L leaves (L >= 1) that fits in 300 leaves, each once, reported by the append of its
        // last leaf, with MTH of exactly its leaves.
        var expected = new List<(int, long)>();
        for (var level = 1; (1 << level) <= size; level++)
        {
            for (long index = 0; (index + 1) << level <= size; index++)
            {
                expected.Add((level, index));
            }
        }

        Assert.Equal(
            expected.OrderBy(e => e.Item1).ThenBy(e => e.Item2),
            reported.Select(r => (r.Level, r.Index)).OrderBy(e => e.Item1).ThenBy(e => e.Item2));
        foreach (var (level, index, hash, afterLeaf) in reported)
        {
            var start = (int)(index << level);
            var end = start + (1 << level);
            Assert.Equal(end - 1, afterLeaf);
            Assert.Equal(MerkleTree.Root(leaves[start..end]), hash);
        }
    }

    [Fact]
    public void FromHashes_ContinuesWhereTheSavedFrontierLeftOff()
    {
        var leaves = Enumerable.Range(0, 50).Select(i => FakeLeafSource.SyntheticLeaf(i)).ToArray();
        var original = new MerkleFrontier();
        foreach (var leaf in leaves[..37])
        {
            original.Append(leaf);
        }

        var restored = MerkleFrontier.FromHashes(original.Size, original.Hashes);
        Assert.Equal(3, restored.Hashes.Count); // 37 = 32 + 4 + 1
        foreach (var leaf in leaves[37..])
        {
            restored.Append(leaf);
        }

        Assert.Equal(MerkleTree.Root(leaves), restored.Root());
    }

    [Fact]
    public void FromHashes_Throws_WhenCountDoesNotMatchSize()
    {
        Assert.Throws<ArgumentException>(() => MerkleFrontier.FromHashes(3, [MerkleHash.EmptyRoot]));
        Assert.Throws<ArgumentException>(() => MerkleFrontier.FromHashes(1, [new byte[31]]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1000)]
    public void Restore_FromStoredSubtrees_EqualsTheLiveFrontier(long size)
    {
        var (source, live) = FakeRangeSource.Build(size);
        var restored = MerkleFrontier.Restore(size, source);

        Assert.Equal(live.Size, restored.Size);
        Assert.Equal(live.Hashes, restored.Hashes);
        Assert.Equal(live.Root(), restored.Root());
        // One stored subtree per set bit of size (1000 = 512 + 256 + 128 + 64 + 32 + 8); a lone last leaf is read
        // as a leaf. Nothing else.
        Assert.Equal(size % 2, source.LeafReads);
        Assert.Equal(System.Numerics.BitOperations.PopCount((ulong)size) - (size % 2), source.SubtreeLookups);
    }

    [Fact]
    public void Append_Throws_ForAHashThatIsNot32Bytes()
    {
        Assert.Throws<ArgumentException>(() => new MerkleFrontier().Append(new byte[31]));
    }
}
