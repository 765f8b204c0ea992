using System.Buffers.Binary;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The vectors file that <c>skybridge ask</c> and <c>eval run</c> share across processes: a process that dies in the
/// middle of an append, a file shifted by such a death before appends were guarded, and two processes appending at once
/// must never leave a vector of garbage under a real passage's digest; at worst a vector is computed again.
/// </summary>
public sealed class FolderVectorCacheTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-vectors-" + Guid.NewGuid().ToString("N"));
    private readonly string _model = "hashing-" + Guid.NewGuid().ToString("N");
    private readonly Random _random = new(11);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task ReadsBackEveryVectorBitForBit_AcrossAppendsOfSeveralSizes()
    {
        // Three appends, the second with vectors of another size (a file written by another build of the model),
        // values that are not round in binary, negative zero and the smallest subnormal among them.
        var first = Vectors(0, 300);
        first[0.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)] = [-0f, float.Epsilon, float.MaxValue, 1f / 3];
        var second = Enumerable.Range(300, 5).ToDictionary(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), _ => Enumerable.Range(0, 7).Select(_ => (float)_random.NextDouble()).ToArray());
        var third = Vectors(305, 50);
        foreach (var batch in new[] { first, second, third })
        {
            await new FolderVectorCache(_folder).PutAsync(_model, batch, Ct);
        }

        var all = first.Concat(second).Concat(third).ToDictionary();
        AssertReadBack(await new FolderVectorCache(_folder).GetAsync(_model, [.. all.Keys, new string('f', 64)], Ct), all);
    }

    [Fact]
    public async Task AFileThatEndsInTheMiddleOfARecord_KeepsTheRecordsBeforeIt()
    {
        var a = new string('a', 64);
        var b = new string('b', 64);
        await new FolderVectorCache(_folder).PutAsync(_model, new Dictionary<string, float[]> { [a] = [1f, 0f], [b] = [0f, 1f] }, Ct);
        var file = Directory.GetFiles(_folder).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^3]);

        var read = await new FolderVectorCache(_folder).GetAsync(_model, [a, b], Ct);

        Assert.Equal([1f, 0f], read[a]);
        Assert.False(read.ContainsKey(b));
    }

    [Fact]
    public async Task AnAppendAfterARecordCutShort_KeepsEveryVectorWhole()
    {
        var first = Vectors(0, 2);
        await new FolderVectorCache(_folder).PutAsync(_model, first, Ct);
        var file = Directory.GetFiles(_folder).Single();
        // The process died five bytes before the end of its last record.
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^5]);

        // The next run finds the second vector missing, computes it again (the same passage, the same vector), and
        // appends it with a new one.
        var (cut, added) = (first.ElementAt(1), Vectors(2, 1).Single());
        await new FolderVectorCache(_folder).PutAsync(_model, new Dictionary<string, float[]> { [cut.Key] = cut.Value, [added.Key] = added.Value }, Ct);

        var all = first.Append(added).ToDictionary();
        AssertReadBack(await new FolderVectorCache(_folder).GetAsync(_model, [.. all.Keys], Ct), all);
    }

    [Fact]
    public async Task AFileShiftedByAnAppendAfterACutRecord_NeverServesTheRecordThatTookTheNextOnesBytes()
    {
        // The file as appends wrote it before they were guarded: a, then b cut short by a dying process, then the next
        // run's b and c appended after the cut record. Read in order, the cut b takes its last floats from the next
        // record's digest and dimension.
        var vectors = Vectors(0, 3);
        var (a, b, c) = (vectors.ElementAt(0), vectors.ElementAt(1), vectors.ElementAt(2));
        Directory.CreateDirectory(_folder);
        var file = await FileOfModelAsync();
        File.WriteAllBytes(file, [.. Record(a), .. Record(b)[..^20], .. Record(b), .. Record(c)]);

        var read = await new FolderVectorCache(_folder).GetAsync(_model, [a.Key, b.Key, c.Key], Ct);

        Assert.Equal(Bits(a.Value), Bits(read[a.Key]));
        Assert.False(read.ContainsKey(b.Key), "the cut record, completed with the next record's bytes, must not be served");

        // The next append cuts the file back to its last whole record, so what it writes is read whole.
        await new FolderVectorCache(_folder).PutAsync(_model, new Dictionary<string, float[]> { [b.Key] = b.Value, [c.Key] = c.Value }, Ct);
        AssertReadBack(await new FolderVectorCache(_folder).GetAsync(_model, [a.Key, b.Key, c.Key], Ct), vectors);
    }

    [Fact]
    public async Task AVectorThatIsNotAllFiniteNumbers_IsNeverServed()
    {
        var vectors = Vectors(0, 3);
        var (a, b, c) = (vectors.ElementAt(0), vectors.ElementAt(1), vectors.ElementAt(2));
        var damaged = (float[])b.Value.Clone();
        damaged[7] = float.NaN;
        Directory.CreateDirectory(_folder);
        var file = await FileOfModelAsync();
        File.WriteAllBytes(file, [.. Record(a), .. Record(new(b.Key, damaged)), .. Record(c)]);

        var read = await new FolderVectorCache(_folder).GetAsync(_model, [a.Key, b.Key, c.Key], Ct);

        Assert.Equal(Bits(a.Value), Bits(read[a.Key]));
        Assert.False(read.ContainsKey(b.Key));
        Assert.False(read.ContainsKey(c.Key));
    }

    [Fact]
    public async Task TwoCachesAppendingAtOnce_LeaveEveryVectorReadableWhole()
    {
        // Two processes (an evaluation and an `ask`, say) embed different passages and append at the same moments.
        var batches = Enumerable.Range(0, 16).Select(i => Vectors(i * 150, 150)).ToList();
        var one = new FolderVectorCache(_folder);
        var other = new FolderVectorCache(_folder);
        await Task.WhenAll(
            Task.Run(async () => { foreach (var batch in batches.Where((_, i) => i % 2 == 0)) { await one.PutAsync(_model, batch, Ct); } }, Ct),
            Task.Run(async () => { foreach (var batch in batches.Where((_, i) => i % 2 == 1)) { await other.PutAsync(_model, batch, Ct); } }, Ct));

        var all = batches.SelectMany(b => b).ToDictionary();
        AssertReadBack(await new FolderVectorCache(_folder).GetAsync(_model, [.. all.Keys], Ct), all);
    }

    private Dictionary<string, float[]> Vectors(int from, int count) =>
        Enumerable.Range(from, count).ToDictionary(
            i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
            _ => Enumerable.Range(0, 384).Select(_ => (float)((_random.NextDouble() * 2) - 1)).ToArray());

    private static byte[] Record(KeyValuePair<string, float[]> vector)
    {
        var record = new byte[36 + (vector.Value.Length * 4)];
        Convert.FromHexString(vector.Key).CopyTo(record, 0);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(32), vector.Value.Length);
        for (var i = 0; i < vector.Value.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(record.AsSpan(36 + (i * 4)), vector.Value[i]);
        }

        return record;
    }

    [Fact]
    public async Task AFileMostlyOfPassagesNoRunAsksFor_IsCompactedToThoseAskedFor_TheRestKeptOneGenerationMore()
    {
        // A corpus embedded in four versions (each a new set of passages), then read at its last version only.
        var versions = Enumerable.Range(0, 4).Select(v => Vectors(v * 100, 100)).ToList();
        foreach (var version in versions)
        {
            await new FolderVectorCache(_folder, compactAbove: 4096).PutAsync(_model, version, Ct);
        }

        var file = Directory.GetFiles(_folder).Single();
        var before = new FileInfo(file).Length;

        var read = await new FolderVectorCache(_folder, compactAbove: 4096).GetAsync(_model, [.. versions[3].Keys], Ct);

        AssertReadBack(read, versions[3]);
        Assert.Equal(before / 4, new FileInfo(file).Length);
        var old = Assert.Single(Directory.GetFiles(_folder), f => f != file);
        Assert.EndsWith(".old.vec", old, StringComparison.Ordinal);
        Assert.Equal(before, new FileInfo(old).Length);
        // Another corpus's run finds the first version's vectors in the generation before, and brings them forward.
        AssertReadBack(await new FolderVectorCache(_folder, compactAbove: 4096).GetAsync(_model, [.. versions[0].Keys], Ct), versions[0]);
        Assert.Equal(before / 2, new FileInfo(file).Length);
    }

    [Fact]
    public async Task AVectorNoRunAsksForAcrossTwoCompactions_IsGone_AndTheOthersStay()
    {
        var gone = Vectors(0, 100);
        var kept = Vectors(100, 20);
        var cache = () => new FolderVectorCache(_folder, compactAbove: 2048);
        await cache().PutAsync(_model, gone, Ct);
        await cache().PutAsync(_model, kept, Ct);
        await cache().GetAsync(_model, [.. kept.Keys], Ct);  // compacted: `gone` only in the generation before
        await cache().PutAsync(_model, Vectors(200, 100), Ct);
        await cache().GetAsync(_model, [.. kept.Keys], Ct);  // compacted again: the generation before is the last file

        var read = await cache().GetAsync(_model, [.. gone.Keys, .. kept.Keys], Ct);

        AssertReadBack(read, kept);
    }

    [Fact]
    public async Task AFileUnderTheBound_OrMostlyOfPassagesInUse_IsNeverCompacted()
    {
        var all = Vectors(0, 90);
        await new FolderVectorCache(_folder, compactAbove: 1024).PutAsync(_model, all, Ct);
        var file = Directory.GetFiles(_folder).Single();
        var size = new FileInfo(file).Length;

        // Small enough: the default bound (64 MB) is far off.
        await new FolderVectorCache(_folder).GetAsync(_model, [.. all.Keys.Take(5)], Ct);
        // A third of the records in use: nothing to gain that is worth a rewrite.
        await new FolderVectorCache(_folder, compactAbove: 1024).GetAsync(_model, [.. all.Keys.Take(30)], Ct);

        Assert.Equal(size, new FileInfo(Assert.Single(Directory.GetFiles(_folder))).Length);
    }

    /// <summary>The model's file, as the cache names it: written once with a throw-away vector and emptied.</summary>
    private async Task<string> FileOfModelAsync()
    {
        await new FolderVectorCache(_folder).PutAsync(_model, new Dictionary<string, float[]> { [new string('e', 64)] = [1f] }, Ct);
        var file = Directory.GetFiles(_folder).Single();
        File.WriteAllBytes(file, []);
        return file;
    }

    private static int[] Bits(float[] vector) => [.. vector.Select(BitConverter.SingleToInt32Bits)];

    private static void AssertReadBack(IReadOnlyDictionary<string, float[]> read, IReadOnlyDictionary<string, float[]> expected)
    {
        Assert.Equal(expected.Count, read.Count);
        foreach (var (digest, vector) in expected)
        {
            Assert.Equal(Bits(vector), Bits(read[digest]));
        }
    }
}
