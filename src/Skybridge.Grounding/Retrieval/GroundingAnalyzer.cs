using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Util;

namespace Skybridge.Grounding.Retrieval;

/// <summary>
/// The one analysis of text for retrieval and the extractive engine: Lucene's English analyzer (possessives,
/// Porter stemming) with its stop words plus the words customers wrap questions in ("how", "my", "please"...),
/// which say nothing about what a passage must contain.
/// </summary>
public static class GroundingAnalyzer
{
    private static readonly string[] ConversationalWords =
    [
        "how", "what", "when", "where", "why", "who", "which", "whom", "can", "could", "would", "should", "do", "does", "did",
        "i", "me", "my", "mine", "we", "us", "our", "you", "your", "yours", "he", "she", "him", "her", "its", "it's", "i'm", "i've",
        "am", "been", "being", "have", "has", "had", "get", "got", "please", "hi", "hello", "dear", "thanks", "thank", "regards",
        "long", "until", "after", "before", "now", "just", "also", "any", "some", "all", "so", "very", "much", "many", "too",
        "from", "about", "up", "out", "than", "there's", "here", "again", "still", "need", "want", "know", "tell", "help",
        "take", "takes", "took", "taking", "make", "makes", "made", "go", "goes", "going", "come", "comes", "see", "say", "says",
        "give", "gives", "let", "put", "thing", "things", "way", "really", "actually",
    ];

    /// <summary>A new analyzer (analyzers hold per-thread state; share one per component, dispose with it).</summary>
    public static Analyzer Create()
    {
        var stop = new CharArraySet(LuceneVersion.LUCENE_48, EnglishAnalyzer.DefaultStopSet, ignoreCase: true);
        foreach (var word in ConversationalWords)
        {
            stop.Add(word);
        }

        return new EnglishAnalyzer(LuceneVersion.LUCENE_48, stop);
    }
}
