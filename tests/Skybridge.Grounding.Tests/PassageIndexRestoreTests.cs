using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>A words index saved to a folder and restored in a later process: the same hits, and a mismatch refused.</summary>
public sealed class PassageIndexRestoreTests(GroundingFixture kb) : IClassFixture<GroundingFixture>, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-words-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Restore_FindsWhatTheSavedIndexFound()
    {
        using var built = new PassageIndex();
        built.Upsert(kb.Report.Documents);
        built.SaveWords(_folder);

        using var restored = PassageIndex.Restore(_folder, kb.Report.Documents, dense: null);

        Assert.Equal(built.PassageCount, restored.PassageCount);
        var question = "How long do I have to return unused items?";
        Assert.Equal(built.Search(question, 5).Select(h => (h.Document.Path, h.Span, h.Score)), restored.Search(question, 5).Select(h => (h.Document.Path, h.Span, h.Score)));
    }

    [Fact]
    public void Restore_Throws_WhenTheDocumentsAreNotTheSavedOnes()
    {
        using (var built = new PassageIndex())
        {
            built.Upsert(kb.Report.Documents);
            built.SaveWords(_folder);
        }

        var dropped = kb.Report.Documents.First(d => !d.IsOutdated);
        Assert.Throws<InvalidDataException>(() => PassageIndex.Restore(_folder, kb.Report.Documents.Where(d => d != dropped), dense: null));
    }
}
