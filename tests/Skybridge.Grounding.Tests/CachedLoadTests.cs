using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// What an unchanged <c>skybridge ask</c> reads and works out again on every run: the vectors file, read in one piece,
/// and the sources' subject, counted per document.
/// </summary>
public sealed class CachedLoadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FolderVectorCache_ReadsBackEveryVectorBitForBit_AcrossAppendsOfSeveralSizes()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-vectors-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = "hashing-" + Guid.NewGuid().ToString("N");
            var random = new Random(7);
            float[] Vector(int dimension) => [.. Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            // Three appends, the second with vectors of another size (a file written by another build of the model),
            // values that are not round in binary, negative zero and the smallest subnormal among them.
            var first = Enumerable.Range(0, 300).ToDictionary(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), _ => Vector(384));
            first[0.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)] = [-0f, float.Epsilon, float.MaxValue, 1f / 3];
            var second = Enumerable.Range(300, 5).ToDictionary(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), _ => Vector(7));
            var third = Enumerable.Range(305, 50).ToDictionary(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), _ => Vector(384));
            foreach (var batch in new[] { first, second, third })
            {
                await new FolderVectorCache(folder).PutAsync(model, batch, Ct);
            }

            var all = first.Concat(second).Concat(third).ToDictionary();
            var read = await new FolderVectorCache(folder).GetAsync(model, [.. all.Keys, new string('f', 64)], Ct);

            Assert.Equal(all.Count, read.Count);
            foreach (var (digest, vector) in all)
            {
                Assert.Equal(vector.Select(BitConverter.SingleToInt32Bits), read[digest].Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SourceProfile_CountsADocumentOnceForItsSubject_WhenItsTitleAndTextBothNameItOften()
    {
        // "Quillbase" is in one page of three, in its title and five times in its text: one document, not half of them,
        // so the sources have no subject.
        using var index = new PassageIndex();
        index.Upsert([
            GroundingFixture.Doc("q.md", "It is said that Quillbase is fast, and Quillbase is small, and Quillbase is free, so Quillbase is liked and Quillbase stays.", "About Quillbase"),
            GroundingFixture.Doc("a.md", "Returns are accepted within thirty days of delivery.", "Returns"),
            GroundingFixture.Doc("b.md", "Parcels travel by lorry across the valley.", "Shipping"),
        ]);
        Assert.Null(SourceProfile.Of(index).Subject);
    }

    [Fact]
    public void SourceProfile_FindsTheSubject_NamedInTheTitleOfOnePageAndTheTextOfAnother()
    {
        // Counted once per document, however it is named there: two of three pages, one title of three.
        using var index = new PassageIndex();
        index.Upsert([
            GroundingFixture.Doc("q.md", "The manual covers setup and tuning.", "About Quillbase"),
            GroundingFixture.Doc("a.md", "A table in Quillbase holds rows, and Quillbase keeps them in order.", "Tables"),
            GroundingFixture.Doc("b.md", "Parcels travel by lorry across the valley.", "Shipping"),
        ]);
        var profile = SourceProfile.Of(index);
        Assert.Equal("Quillbase", profile.Subject);
        Assert.Equal(2, profile.SubjectDocuments);
    }
}
