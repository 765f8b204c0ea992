using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

/// <summary>
/// The RFC 6962 test tree used by Certificate Transparency implementations (transparency-dev/merkle
/// testonly/constants.go, proof/verify_test.go; originally from certificate-transparency-go).
/// </summary>
internal static class Rfc6962Vectors
{
    public static readonly string[] LeafInputsHex =
    [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ];

    /// <summary>Roots indexed by tree size; index 0 is the empty tree (SHA-256 of nothing).</summary>
    public static readonly string[] RootsHex =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    public static byte[][] LeafHashes() =>
        LeafInputsHex.Select(h => MerkleHash.Leaf(Convert.FromHexString(h))).ToArray();

    public static byte[] Root(int size) => Convert.FromHexString(RootsHex[size]);
}

/// <summary>Leaf hashes in memory; counts reads so tests can see how much work a proof costs.</summary>
internal class FakeLeafSource(IReadOnlyList<byte[]> leaves) : IMerkleNodeSource
{
    public int LeafReads { get; private set; }

    public byte[] LeafHash(long index)
    {
        LeafReads++;
        return leaves[checked((int)index)];
    }

    /// <summary>Leaves whose hashes are cheap to make up: SHA-256(0x00 || index as 8 bytes).</summary>
    public static byte[] SyntheticLeaf(long index) => MerkleHash.Leaf(BitConverter.GetBytes(index));
}

/// <summary>A range source holding the perfect subtrees a <see cref="MerkleFrontier"/> reported, like storage does.</summary>
internal sealed class FakeRangeSource : IMerkleRangeSource
{
    private readonly Dictionary<(int Level, long Index), byte[]> _subtrees = [];
    private readonly Func<long, byte[]> _leaf;

    public FakeRangeSource(Func<long, byte[]> leaf)
    {
        _leaf = leaf;
    }

    public int LeafReads { get; private set; }

    public int SubtreeLookups { get; private set; }

    public void Add(int level, long index, byte[] hash) => _subtrees[(level, index)] = hash;

    public byte[] LeafHash(long index)
    {
        LeafReads++;
        return _leaf(index);
    }

    public bool TryGetPerfectSubtree(int level, long index, out byte[] hash)
    {
        SubtreeLookups++;
        return _subtrees.TryGetValue((level, index), out hash!);
    }

    /// <summary>Appends synthetic leaves 0..size-1 through a frontier, storing every subtree it reports.</summary>
    public static (FakeRangeSource Source, MerkleFrontier Frontier) Build(long size)
    {
        var source = new FakeRangeSource(FakeLeafSource.SyntheticLeaf);
        var frontier = new MerkleFrontier();
        for (long i = 0; i < size; i++)
        {
            frontier.Append(FakeLeafSource.SyntheticLeaf(i), source.Add);
        }

        return (source, frontier);
    }
}
