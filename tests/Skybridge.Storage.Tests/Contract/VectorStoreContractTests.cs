namespace Skybridge.Storage.Tests.Contract;

/// <summary>Passage vectors by (model, text digest), on both databases (migration 0017).</summary>
public abstract partial class StoreContractTests
{
    private static string Digest(int i) => Skybridge.Core.Ledger.TextDigest.Sha256("passage " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Vectors_AreReadBackBitForBit_ByModelAndDigest()
    {
        float[] a = [0.1f, -0.25f, float.Epsilon, 1f / 3f];
        float[] b = [1f, 0f, 0f, 0f];
        Assert.Equal(2, await Store.PutPassageVectorsAsync("model-a", new Dictionary<string, float[]> { [Digest(1)] = a, [Digest(2)] = b }, Ct));

        var read = await Store.GetPassageVectorsAsync("model-a", [Digest(1), Digest(2), Digest(3)], Ct);

        Assert.Equal(2, read.Count);
        Assert.Equal(a, read[Digest(1)]);
        Assert.Equal(b, read[Digest(2)]);
        // Another model's vectors of the same text are other vectors.
        Assert.Empty(await Store.GetPassageVectorsAsync("model-b", [Digest(1)], Ct));
        Assert.Empty(await Store.GetPassageVectorsAsync("model-a", [], Ct));
        Assert.True(await Store.GetSchemaVersionAsync(Ct) >= 17);
    }

    [Fact]
    public async Task Vectors_StoredTwice_KeepTheFirst_AndAddNothing()
    {
        Assert.Equal(1, await Store.PutPassageVectorsAsync("m", new Dictionary<string, float[]> { [Digest(1)] = [1f, 2f] }, Ct));

        // Two nodes embedding the same passage at once: the second write succeeds and changes nothing.
        await using var second = OpenSecondInstance();
        Assert.Equal(0, await second.PutPassageVectorsAsync("m", new Dictionary<string, float[]> { [Digest(1)] = [3f, 4f] }, Ct));

        var kept = await Store.GetPassageVectorsAsync("m", [Digest(1)], Ct);
        Assert.Equal(new[] { 1f, 2f }, kept[Digest(1)]);
    }

    [Fact]
    public async Task Vectors_ThousandsAtOnce_AreWrittenAndReadInBatches()
    {
        var vectors = Enumerable.Range(0, 1_200).ToDictionary(Digest, i => new float[] { i, -i, 0.5f });
        Assert.Equal(1_200, await Store.PutPassageVectorsAsync("m", vectors, Ct));

        var read = await Store.GetPassageVectorsAsync("m", [.. vectors.Keys, .. vectors.Keys.Take(10)], Ct);

        Assert.Equal(1_200, read.Count);
        Assert.Equal(new float[] { 1_199, -1_199, 0.5f }, read[Digest(1_199)]);
    }
}
