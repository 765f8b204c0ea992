using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// What an unchanged <c>skybridge ask</c> works out again on every run: the sources' subject, counted per document (the
/// vectors file it reads is tested in <see cref="FolderVectorCacheTests"/>).
/// </summary>
public sealed class CachedLoadTests
{
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
