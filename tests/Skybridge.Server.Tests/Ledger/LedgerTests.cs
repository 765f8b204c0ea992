using System.Text;
using System.Text.Json;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Verification;
using Skybridge.Application.Ledger;

namespace Skybridge.Server.Tests.Ledger;

public sealed class LedgerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConcurrentAppends_GetConsecutiveSequenceNumbers_AndTheLedgerVerifies()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        var recorded = await ledger.AppendAsync(700);
        Assert.Equal(Enumerable.Range(0, 700).Select(i => (long)i), recorded.Select(r => r.Sequence).Order());
        var result = await ledger.Service.AuditAsync([], null, Ct);
        Assert.True(result.Verified, result.Problem?.Detail);
        Assert.Equal(700, result.Events);
        Assert.Equal(1, result.Checkpoints);
    }

    [Fact]
    public async Task Events_AreCanonicalJson_WithActorChainAndMicrosecondTime_AndNoSecrets()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        var recorded = await ledger.Writer.AppendAsync(LedgerFixture.Entry(2, "case-1"), Ct);
        using var doc = JsonDocument.Parse(recorded.CanonicalJson);
        var root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("seq").GetInt64());
        Assert.Equal("human", root.GetProperty("actors")[0].GetProperty("kind").GetString());
        Assert.Equal("responder-1", root.GetProperty("actors")[1].GetProperty("id").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", root.GetProperty("time").GetString());
        Assert.Equal(["body", "subject"], root.GetProperty("resource").GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("refund-small", root.GetProperty("rules")[0].GetString());
        Assert.Equal(recorded.CanonicalJson, CanonicalJson.ToCanonicalString(System.Text.Json.Nodes.JsonNode.Parse(recorded.CanonicalJson)));
    }

    [Theory]
    [InlineData("UPDATE ledger_events SET body = replace(body, '\"T-', '\"X-') WHERE seq = 41", LedgerProblemKind.Changed, 41)]
    [InlineData("DELETE FROM ledger_events WHERE seq = 17", LedgerProblemKind.Missing, 17)]
    [InlineData("UPDATE ledger_events SET seq = -1 WHERE seq = 10; UPDATE ledger_events SET seq = 10 WHERE seq = 20; UPDATE ledger_events SET seq = 20 WHERE seq = -1", LedgerProblemKind.Reordered, 10)]
    [InlineData("DELETE FROM ledger_events", LedgerProblemKind.Missing, 0)]
    [InlineData("DELETE FROM ledger_events WHERE seq >= 60", LedgerProblemKind.Missing, 60)]
    public async Task TamperedRows_AreDetected_AndLocated(string sql, LedgerProblemKind kind, long index)
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await ledger.AppendAsync(100);
        await ledger.TamperAsync(sql);
        var result = await ledger.Service.AuditAsync([], null, Ct);
        Assert.False(result.Verified);
        Assert.Equal(kind, result.Problem!.Kind);
        Assert.Equal(index, result.Problem.Index);
    }

    [Fact]
    public async Task InsertedRow_IsDetected()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await ledger.AppendAsync(50);
        // Make room at 30 by moving later rows up one, then put a forged event there (well-formed, correctly hashed).
        await ledger.TamperAsync("UPDATE ledger_events SET seq = seq + 1000 WHERE seq >= 30; UPDATE ledger_events SET seq = seq - 999 WHERE seq >= 1000;");
        var forged = Skybridge.Core.Ledger.Events.LedgerEventFormat.Record(LedgerFixture.Entry(7), 30, DateTimeOffset.UtcNow, "test-node");
        await ledger.TamperAsync($"INSERT INTO ledger_events (seq, event_id, type, at_us, body, leaf_hash) VALUES (30, 'forged', 'x', 0, '{forged.CanonicalJson.Replace("'", "''", StringComparison.Ordinal)}', X'{Convert.ToHexString(forged.LeafHash())}')");
        var result = await ledger.Service.AuditAsync([], null, Ct);
        Assert.False(result.Verified);
        Assert.Equal(LedgerProblemKind.Inserted, result.Problem!.Kind);
        Assert.Equal(31, result.Problem.Index);
    }

    [Fact]
    public async Task ChangedEventWithMatchingHash_IsCaughtByTheSignedCheckpoint()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        var recorded = await ledger.AppendAsync(40);
        var original = recorded.Single(r => r.Sequence == 12).CanonicalJson;
        var edited = original.Replace("\"T-", "\"X-", StringComparison.Ordinal);
        var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(edited));
        await ledger.TamperAsync($"UPDATE ledger_events SET body = '{edited}', leaf_hash = X'{Convert.ToHexString(leaf)}' WHERE seq = 12");
        var result = await ledger.Service.AuditAsync([], null, Ct);
        Assert.False(result.Verified);
        Assert.Equal(LedgerProblemKind.Changed, result.Problem!.Kind);
        Assert.Contains("signed checkpoint at size 40", result.Problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InclusionAndConsistencyProofs_VerifyAgainstSignedRoots()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await ledger.AppendAsync(300);
        var first = (await ledger.Service.LatestCheckpointAsync(Ct))!;
        await ledger.AppendAsync(213);
        var second = (await ledger.Service.LatestCheckpointAsync(Ct))!;
        Assert.Equal((300, 513), (first.Size, second.Size));

        foreach (var index in new long[] { 0, 1, 255, 256, 299, 300, 511, 512 })
        {
            var proof = (await ledger.Service.InclusionProofAsync(index, second.Size, Ct))!;
            Assert.Equal(Convert.ToHexStringLower(second.Root), proof.RootHash);
            Assert.True(MerkleTree.VerifyInclusion(index, second.Size, Convert.FromHexString(proof.LeafHash), proof.Proof.Select(Convert.FromHexString).ToList(), second.Root), $"index {index}");
        }

        var consistency = (await ledger.Service.ConsistencyProofAsync(first.Size, second.Size, Ct))!;
        Assert.True(MerkleTree.VerifyConsistency(first.Size, second.Size, first.Root, second.Root, consistency.Proof.Select(Convert.FromHexString).ToList()));
        Assert.Null(await ledger.Service.InclusionProofAsync(513, 513, Ct));
    }

    [Fact]
    public async Task Replay_ShowsTheCaseInOrder_WithEachProofChecked()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => ledger.Writer.AppendAsync(LedgerFixture.Entry(i, i % 2 == 0 ? "case-A" : "case-B"))));
        await ledger.Service.CheckpointAsync(Ct);
        var replay = await new LedgerReplay(ledger.Store, ledger.Service).ReplayAsync("case-A", Ct);
        Assert.Equal(15, replay.Steps.Count);
        Assert.True(replay.Steps.Zip(replay.Steps.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.All(replay.Steps, s => Assert.True(s.ProofVerified));
        Assert.All(replay.Steps, s => Assert.Equal(["human:maria", "agent:responder-1"], s.Actors));
    }

    [Fact]
    public async Task Bundle_VerifiesOffline_AndEveryCorruptionIsRefused()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await ledger.AppendAsync(120);
        using var buffer = new MemoryStream();
        await ledger.Service.ExportAsync(buffer, Ct);
        var bundle = buffer.ToArray();

        var ok = LedgerBundle.Verify(new MemoryStream(bundle), [ledger.Signer.PublicKey]);
        Assert.True(ok.Verified, ok.Problem?.Detail);
        Assert.Equal(120, ok.Events);

        // One changed character in one event.
        var text = Encoding.UTF8.GetString(bundle);
        var changed = LedgerBundle.Verify(new MemoryStream(Encoding.UTF8.GetBytes(text.Replace("T-77", "T-78", StringComparison.Ordinal))), [ledger.Signer.PublicKey]);
        Assert.Equal(LedgerProblemKind.Changed, changed.Problem!.Kind);

        // Truncated file.
        var truncated = LedgerBundle.Verify(new MemoryStream(bundle[..(bundle.Length / 2)]), [ledger.Signer.PublicKey]);
        Assert.Equal(LedgerProblemKind.Malformed, truncated.Problem!.Kind);

        // A public key that did not sign it.
        var wrongKey = LedgerBundle.Verify(new MemoryStream(bundle), [LedgerSigner.Generate("someone-else").PublicKey]);
        Assert.False(wrongKey.Verified);
        Assert.Equal(LedgerProblemKind.UnknownKey, wrongKey.Problem!.Kind);

        // A checkpoint of another ledger, signed with that ledger's key.
        await using var other = await LedgerFixture.CreateAsync();
        await other.AppendAsync(5);
        var foreignNote = (await other.Service.LatestCheckpointAsync(Ct))!.Note;
        using var doc = JsonDocument.Parse(bundle);
        var mixed = JsonSerializer.Serialize(new
        {
            format = LedgerBundle.Format,
            origin = doc.RootElement.GetProperty("origin").GetString(),
            checkpoints = new[] { new { note = foreignNote } },
            events = doc.RootElement.GetProperty("events"),
        });
        var foreign = LedgerBundle.Verify(new MemoryStream(Encoding.UTF8.GetBytes(mixed)), [ledger.Signer.PublicKey, other.Signer.PublicKey]);
        Assert.Equal(LedgerProblemKind.ForeignCheckpoint, foreign.Problem!.Kind);

        // Not a bundle at all.
        var garbage = LedgerBundle.Verify(new MemoryStream("{\"hello\":1}"u8.ToArray()), []);
        Assert.Equal(LedgerProblemKind.Malformed, garbage.Problem!.Kind);
    }

    [Fact]
    public async Task RotatedKey_KeepsOldCheckpointsVerifiable()
    {
        await using var ledger = await LedgerFixture.CreateAsync();
        await ledger.AppendAsync(10);
        var head = await ledger.Store.GetLedgerHeadAsync(Ct);
        var newSigner = await LedgerKeys.RotateAsync(Path.Combine(ledger.Folder, "keys", "ledger.key"), head.Origin, ledger.Store, TimeProvider.System, Ct);
        var rotated = new LedgerService(ledger.Store, TimeProvider.System, newSigner);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => ledger.Writer.AppendAsync(LedgerFixture.Entry(i))));
        await rotated.CheckpointAsync(Ct);

        var withBoth = await rotated.AuditAsync([ledger.Signer.PublicKey, newSigner.PublicKey], null, Ct);
        Assert.True(withBoth.Verified, withBoth.Problem?.Detail);
        Assert.Equal(2, withBoth.Checkpoints);
        var onlyNew = await rotated.AuditAsync([newSigner.PublicKey], null, Ct);
        Assert.Equal(LedgerProblemKind.UnknownKey, onlyNew.Problem!.Kind);
    }

    [Fact]
    public async Task KeyFile_RoundTrips_WhateverCharactersItsBase64Holds()
    {
        // Base64 may contain '+', the key file's separator: load many fresh keys to cover both cases.
        await using var ledger = await LedgerFixture.CreateAsync();
        var head = await ledger.Store.GetLedgerHeadAsync(Ct);
        var sawPlus = false;
        for (var i = 0; i < 40; i++)
        {
            var path = Path.Combine(ledger.Folder, $"key-{i}");
            var created = await LedgerKeys.LoadOrCreateAsync(path, head.Origin, ledger.Store, TimeProvider.System, Ct);
            sawPlus |= (await File.ReadAllTextAsync(path, Ct)).Split('+').Length > 5;
            var loaded = await LedgerKeys.LoadOrCreateAsync(path, head.Origin, ledger.Store, TimeProvider.System, Ct);
            Assert.Equal(created.PublicKey, loaded.PublicKey);
        }

        Assert.True(sawPlus, "no generated key had a '+' in its base64; the case this test exists for was not covered");
    }
}
