using System.Text;
using Skybridge.Core.Ledger;
using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>The ledger half of the store contract, on both databases.</summary>
public abstract partial class StoreContractTests
{
    private static async Task<LedgerHead> AppendAsync(ISkybridgeStore store, string tag, int count) =>
        await store.AppendLedgerAsync(head =>
        {
            var frontier = MerkleFrontier.FromHashes(head.Size, head.Frontier);
            var events = new List<StoredLedgerEvent>();
            var subtrees = new List<StoredSubtree>();
            for (var i = 0; i < count; i++)
            {
                var body = $"{{\"seq\":{frontier.Size},\"tag\":\"{tag}-{i}\"}}";
                var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(body));
                events.Add(new StoredLedgerEvent(frontier.Size, $"{tag}-{i}", "test.event", "support-desk", tag, DateTimeOffset.UnixEpoch.AddSeconds(frontier.Size), body, leaf));
                frontier.Append(leaf, (level, index, hash) =>
                {
                    if (level % 8 == 0)
                    {
                        subtrees.Add(new StoredSubtree(level, index, hash));
                    }
                });
            }

            return new LedgerWrite(events, subtrees, head with { Size = frontier.Size, Frontier = frontier.Hashes });
        }, Ct);

    [Fact]
    public async Task Ledger_AppendsFromTwoInstancesAtOnce_FormOneTree()
    {
        await using var second = OpenSecondInstance();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => AppendAsync(i % 2 == 0 ? Store : second, $"batch{i}", 37)));

        var head = await Store.GetLedgerHeadAsync(Ct);
        Assert.Equal(740, head.Size);
        var events = await Store.ReadLedgerEventsAsync(0, 10_000, Ct);
        Assert.Equal(Enumerable.Range(0, 740).Select(i => (long)i), events.Select(e => e.Sequence));
        // The stored frontier continues exactly the tree of the stored leaves.
        var leaves = await Store.ReadLeafHashesAsync(0, 740, Ct);
        Assert.Equal(MerkleTree.Root(leaves), MerkleFrontier.FromHashes(head.Size, head.Frontier).Root());
        // Level-8 subtrees (256 leaves) were stored as they completed: 740 leaves hold two.
        var subtrees = await Store.ReadSubtreesAsync(8, 0, 10, Ct);
        Assert.Equal(2, subtrees.Count);
        Assert.Equal(MerkleTree.Root(leaves.Take(256).ToList()), subtrees[0]);
    }

    [Fact]
    public async Task Ledger_HeadHasAStableRandomOrigin_AndCaseQueriesFollowTheCase()
    {
        var first = await Store.GetLedgerHeadAsync(Ct);
        Assert.StartsWith("skybridge.ledger/", first.Origin, StringComparison.Ordinal);
        Assert.Equal(0, first.Size);
        await AppendAsync(Store, "case-1", 3);
        await AppendAsync(Store, "case-2", 2);
        Assert.Equal(first.Origin, (await Store.GetLedgerHeadAsync(Ct)).Origin);
        var replay = await Store.ReadLedgerCaseAsync("case-2", Ct);
        Assert.Equal([3L, 4L], replay.Select(e => e.Sequence));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(4), replay[1].At);
    }

    [Fact]
    public async Task Ledger_CheckpointsAndKeys_AreKept()
    {
        Assert.Null(await Store.GetLatestCheckpointAsync(Ct));
        var root = new byte[32];
        root[0] = 7;
        await Store.SaveCheckpointAsync(new StoredCheckpoint(5, root, DateTimeOffset.UnixEpoch, "note-5"), Ct);
        await Store.SaveCheckpointAsync(new StoredCheckpoint(5, root, DateTimeOffset.UnixEpoch, "ignored duplicate"), Ct);
        await Store.SaveCheckpointAsync(new StoredCheckpoint(2, root, DateTimeOffset.UnixEpoch, "note-2"), Ct);
        Assert.Equal(["note-2", "note-5"], (await Store.ListCheckpointsAsync(Ct)).Select(c => c.Note));
        Assert.Equal("note-5", (await Store.GetLatestCheckpointAsync(Ct))!.Note);
        Assert.Equal(root, (await Store.ListCheckpointsAsync(Ct))[0].Root);

        await Store.SaveLedgerKeyAsync("0000abcd", "k", "k+0000abcd+AQ==", DateTimeOffset.UnixEpoch, Ct);
        await Store.SaveLedgerKeyAsync("0000abcd", "k", "k+0000abcd+AQ==", DateTimeOffset.UnixEpoch, Ct);
        await Store.SaveLedgerKeyAsync("0000beef", "k", "k+0000beef+AQ==", DateTimeOffset.UnixEpoch.AddDays(1), Ct);
        Assert.Equal(["k+0000abcd+AQ==", "k+0000beef+AQ=="], await Store.ListLedgerKeysAsync(Ct));
    }

    [Fact]
    public async Task Ledger_AuditRead_GivesTheExactBytesAndStoredHashes_InOrder()
    {
        await AppendAsync(Store, "é-ünïcode", 300);
        var events = await Store.ReadLedgerEventsAsync(0, 1000, Ct);
        var page1 = await Store.ReadLedgerForAuditAsync(0, 200, Ct);
        var page2 = await Store.ReadLedgerForAuditAsync(200, 200, Ct);
        var rows = page1.Concat(page2).ToList();
        Assert.Equal(300, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(events[i].Sequence, rows[i].Sequence);
            Assert.Equal(Encoding.UTF8.GetBytes(events[i].Body), rows[i].Body.ToArray());
            Assert.Equal(events[i].LeafHash, rows[i].StoredLeafHash.ToArray());
        }
    }
}

/// <summary>Rows of other areas commit with their ledger events, or not at all.</summary>
public abstract partial class StoreContractTests
{
    private static StoredCase Case(string id) =>
        new(id, "support-desk", "agent-1", "Where is my parcel?", "{\"answer\":\"soon\"}", false, DateTimeOffset.UnixEpoch.AddDays(1));

    private Task<LedgerHead> AppendWithRowsAsync(string tag, params RecordedRow[] rows) =>
        LedgerAppends.AppendOneAsync(Store, seq => (tag, "draft.created", "support-desk", tag, DateTimeOffset.UnixEpoch, $"{{\"seq\":{seq},\"tag\":\"{tag}\"}}"), Ct, rows);

    [Fact]
    public async Task Ledger_CaseRow_IsStoredWithItsEvents()
    {
        await AppendWithRowsAsync("case-1", new CaseRecordedRow(Case("case-1")));

        Assert.Equal("Where is my parcel?", (await Store.GetCaseAsync("case-1", Ct))?.Text);
        Assert.Single(await Store.ReadLedgerCaseAsync("case-1", Ct));
    }

    [Fact]
    public async Task Ledger_EventsAreNotStored_WhenTheirRowFails()
    {
        await Store.SaveCaseAsync(Case("case-taken"), Ct);
        var before = await Store.GetLedgerHeadAsync(Ct);

        // The row collides with an existing case: the whole transaction, events included, must roll back.
        await Assert.ThrowsAnyAsync<Exception>(() => AppendWithRowsAsync("case-taken", new CaseRecordedRow(Case("case-taken") with { Text = "other" })));

        Assert.Equal(before.Size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Empty(await Store.ReadLedgerCaseAsync("case-taken", Ct));
        Assert.Equal("Where is my parcel?", (await Store.GetCaseAsync("case-taken", Ct))?.Text);
    }
}
