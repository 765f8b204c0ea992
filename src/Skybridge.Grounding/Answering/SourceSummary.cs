using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Answering;

/// <summary>
/// What the source profile (the check of whether the sources can answer a question at all) computed from a set of
/// documents: every analysed term, their languages, their subject and its latest version. It depends on the documents
/// alone, so a cache of the documents can keep it beside them rather than have every process compute it again (about
/// 0.2 s on a thousand pages). <see cref="Versions"/> names the documents it was computed from: a summary of other
/// documents is never taken.
/// </summary>
public sealed record SourceSummary(string Versions, IReadOnlyList<string> Vocabulary, IReadOnlyList<string>? Languages, string? Subject, int SubjectDocuments, IReadOnlyList<int>? LatestVersion)
{
    /// <summary>The summary of what <paramref name="index"/> holds now (computed once per index and set of documents).</summary>
    public static SourceSummary Of(PassageIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return SourceProfile.Of(index).Summary();
    }

    /// <summary>
    /// Gives <paramref name="index"/> this summary as its profile, when it was computed from the documents the index
    /// holds now; false, and nothing given, otherwise (the profile is then computed when first needed, as without it).
    /// </summary>
    public bool TryGive(PassageIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return SourceProfile.Adopt(index, this);
    }
}
