using System.Text;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Ledger.Verification;

namespace Skybridge.Core.Tests.Ledger;

public sealed class LedgerAuditorTests
{
    private const string Origin = "test.ledger/0001";

    private static (List<(long, string, byte[]?)> Rows, List<string> Notes, LedgerVerifierKey Key) Ledger(int size, params int[] checkpointSizes)
    {
        var signer = LedgerSigner.Generate(Origin);
        var rows = new List<(long, string, byte[]?)>();
        var frontier = new MerkleFrontier();
        var notes = new List<string>();
        for (var i = 0; i < size; i++)
        {
            var e = LedgerEventFormat.Record(new LedgerEntry { Type = "t", Actors = [LedgerActor.Human("p")] }, i, DateTimeOffset.UnixEpoch, "n");
            rows.Add((i, e.CanonicalJson, e.LeafHash()));
            frontier.Append(e.LeafHash());
            if (checkpointSizes.Contains(i + 1))
            {
                notes.Add(signer.Sign(new Checkpoint(Origin, i + 1, frontier.Root()).ToBody()));
            }
        }

        return (rows, notes, signer.PublicKey);
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(4095, new[] { 4095 })]
    [InlineData(10_000, new[] { 1, 4096, 5000, 8192, 10_000 })]
    [InlineData(20_000, new[] { 12_345, 20_000 })]
    public void AddRange_InPages_AgreesWithRowByRow(int size, int[] checkpoints)
    {
        var (rows, notes, key) = Ledger(size, checkpoints);
        var single = new LedgerAuditor(Origin, [key], notes);
        foreach (var (seq, body, leaf) in rows)
        {
            single.Add(seq, body, leaf);
        }

        var paged = new LedgerAuditor(Origin, [key], notes);
        foreach (var page in rows.Chunk(3000))
        {
            paged.AddRange(page);
        }

        var a = single.Finish();
        var b = paged.Finish();
        Assert.True(a.Verified, a.Problem?.Detail);
        Assert.True(b.Verified, b.Problem?.Detail);
        Assert.Equal(checkpoints.Length, b.Checkpoints);
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void AddRange_ChangedEventInsideABlock_IsLocatedLikeRowByRow()
    {
        var (rows, notes, key) = Ledger(9000, 9000);
        rows[6000] = (6000, rows[6000].Item2.Replace("\"p\"", "\"q\"", StringComparison.Ordinal), rows[6000].Item3);
        var paged = new LedgerAuditor(Origin, [key], notes);
        foreach (var page in rows.Chunk(4000))
        {
            if (!paged.AddRange(page))
            {
                break;
            }
        }

        var result = paged.Finish();
        Assert.Equal(LedgerProblemKind.Changed, result.Problem!.Kind);
        Assert.Equal(6000, result.Problem.Index);
    }

    [Fact]
    public void AppendSubtree_GivesTheSameRootAsLeaves()
    {
        var leaves = Enumerable.Range(0, 3 * 4096 + 17).Select(i => MerkleHash.Leaf(Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToList();
        var byLeaf = new MerkleFrontier();
        leaves.ForEach(l => byLeaf.Append(l));
        var byBlock = new MerkleFrontier();
        for (var b = 0; b < 3; b++)
        {
            byBlock.AppendSubtree(12, MerkleTree.Root(leaves.Skip(b * 4096).Take(4096).ToList()));
        }

        leaves.Skip(3 * 4096).ToList().ForEach(l => byBlock.Append(l));
        Assert.Equal(byLeaf.Root(), byBlock.Root());
        Assert.Throws<ArgumentException>(() => byBlock.AppendSubtree(12, new byte[32]));
    }
}
