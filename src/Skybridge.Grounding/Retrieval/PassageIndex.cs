using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Skybridge.Core.Grounding;
using Skybridge.Grounding.Documents;

namespace Skybridge.Grounding.Retrieval;

/// <summary>A passage retrieval found, with its BM25 score and how much of the question it covers.</summary>
/// <param name="Document">The document it is from (the version indexed).</param>
/// <param name="Span">Its place in the document's text.</param>
/// <param name="Score">The BM25 score (Lucene's BM25Similarity, k1 1.2, b 0.75).</param>
/// <param name="Coverage">IDF-weighted share of the question's terms the passage contains, 0..1: the confidence measure.</param>
public sealed record RetrievedPassage(SourceDocument Document, TextSpan Span, float Score, double Coverage)
{
    /// <summary>The passage's text.</summary>
    public string Text => Span.Of(Document.Text);
}

/// <summary>
/// BM25 retrieval over passages with Lucene.Net: English analysis (stemming, stop words), one Lucene document per
/// passage. Documents are added and replaced by path, so a changed document is re-indexed alone. The index is a
/// cache: it lives in memory and is rebuilt from the store's documents when a node starts.
/// </summary>
public sealed class PassageIndex : IDisposable
{
    private static readonly LuceneVersion Version = LuceneVersion.LUCENE_48;
    private readonly Analyzer _analyzer = GroundingAnalyzer.Create();
    private readonly Lucene.Net.Store.Directory _directory = new RAMDirectory();
    private readonly IndexWriter _writer;
    private readonly Dictionary<string, SourceDocument> _documents = new(StringComparer.Ordinal);
    private readonly System.Threading.Lock _gate = new();
    private SearcherManager? _searchers;

    /// <summary>An empty index.</summary>
    public PassageIndex()
    {
        _writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer) { Similarity = new BM25Similarity(), RAMBufferSizeMB = 64 });
    }

    /// <summary>Passages indexed.</summary>
    public int PassageCount { get { lock (_gate) { return _writer.NumDocs; } } }

    /// <summary>The indexed version of each document, by source and path.</summary>
    public IReadOnlyDictionary<string, SourceDocument> Documents { get { lock (_gate) { return new Dictionary<string, SourceDocument>(_documents); } } }

    private static string Key(SourceDocument d) => d.Source + "/" + d.Path;

    /// <summary>
    /// Adds or replaces documents (by source and path). Outdated documents are kept out of retrieval: they are kept in
    /// the store for the citations that already point at them. Returns how many documents changed.
    /// </summary>
    public int Upsert(IEnumerable<SourceDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var changed = 0;
        lock (_gate)
        {
            foreach (var document in documents)
            {
                var key = Key(document);
                if (_documents.TryGetValue(key, out var known) && known.Version == document.Version)
                {
                    continue;
                }

                _writer.DeleteDocuments(new Term("doc", key));
                _documents[key] = document;
                changed++;
                if (document.IsOutdated)
                {
                    continue;
                }

                foreach (var span in PassageSplitter.Split(document.Text))
                {
                    _writer.AddDocument(
                    [
                        new StringField("doc", key, Field.Store.YES),
                        new Int32Field("start", span.Start, Field.Store.YES),
                        new Int32Field("end", span.End, Field.Store.YES),
                        new TextField("text", span.Of(document.Text), Field.Store.NO),
                        new TextField("title", document.Title, Field.Store.NO),
                    ]);
                }
            }

            if (changed > 0)
            {
                _writer.Commit();
                if (_searchers is null)
                {
                    _searchers = new SearcherManager(_writer, applyAllDeletes: true, new SimilarityFactory());
                }
                else
                {
                    _searchers.MaybeRefreshBlocking();
                }
            }
        }

        return changed;
    }

    /// <summary>Removes documents no longer in their source (by source and path).</summary>
    public int Remove(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var removed = 0;
        lock (_gate)
        {
            foreach (var key in keys)
            {
                if (_documents.Remove(key))
                {
                    _writer.DeleteDocuments(new Term("doc", key));
                    removed++;
                }
            }

            if (removed > 0)
            {
                _writer.Commit();
                _searchers?.MaybeRefreshBlocking();
            }
        }

        return removed;
    }

    /// <summary>The question's analysed terms (stemmed, without stop words), distinct.</summary>
    public IReadOnlyList<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        using var stream = _analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            var value = term.ToString();
            if (!terms.Contains(value))
            {
                terms.Add(value);
            }
        }

        stream.End();
        return terms;
    }

    /// <summary>The <paramref name="topK"/> best passages for <paramref name="question"/>, best first.</summary>
    public IReadOnlyList<RetrievedPassage> Search(string question, int topK)
    {
        ArgumentNullException.ThrowIfNull(question);
        // Order numbers, amounts and dates identify a case; they never say which article answers it.
        var terms = Terms(question).Where(t => !IsIdentifier(t)).Take(64).ToList();
        if (terms.Count == 0 || _searchers is null)
        {
            return [];
        }

        // The question is data: its words become term queries, never query syntax.
        var query = new BooleanQuery();
        foreach (var t in terms)
        {
            query.Add(new TermQuery(new Term("text", t)), Occur.SHOULD);
            query.Add(new TermQuery(new Term("title", t)) { Boost = 0.3f }, Occur.SHOULD);
        }

        var searcher = _searchers.Acquire();
        try
        {
            var reader = searcher.IndexReader;
            var total = Math.Max(1, reader.NumDocs);
            var df = terms.ToDictionary(t => t, t => reader.DocFreq(new Term("text", t)));
            var idf = terms.ToDictionary(t => t, t => Math.Log(1 + ((total - df[t] + 0.5) / (df[t] + 0.5))));
            // A word no passage has counts against confidence, but no more than the rarest word that does exist:
            // a misspelling must not outweigh the rest of the question.
            var known = terms.Where(t => df[t] > 0).Select(t => idf[t]).DefaultIfEmpty(Math.Log(1 + ((total + 0.5) / 0.5))).Max();
            foreach (var t in terms.Where(t => df[t] == 0))
            {
                idf[t] = known;
            }

            var idfSum = idf.Values.Sum();
            var hits = searcher.Search(query, topK).ScoreDocs;
            var results = new List<RetrievedPassage>(hits.Length);
            Dictionary<string, SourceDocument> documents;
            lock (_gate)
            {
                documents = new Dictionary<string, SourceDocument>(_documents);
            }

            foreach (var hit in hits)
            {
                var stored = searcher.Doc(hit.Doc);
                if (!documents.TryGetValue(stored.Get("doc"), out var document))
                {
                    continue;
                }

                var span = new TextSpan(stored.GetField("start").GetInt32Value()!.Value, stored.GetField("end").GetInt32Value()!.Value);
                var present = Terms(span.Of(document.Text)).ToHashSet(StringComparer.Ordinal);
                var covered = terms.Where(present.Contains).Sum(t => idf[t]);
                results.Add(new RetrievedPassage(document, span, hit.Score, idfSum <= 0 ? 0 : covered / idfSum));
            }

            return results;
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    private static bool IsIdentifier(string term) => term.Length >= 3 && term.Any(char.IsAsciiDigit);

    private sealed class SimilarityFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = new BM25Similarity() };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _searchers?.Dispose();
        _writer.Dispose();
        _directory.Dispose();
        _analyzer.Dispose();
    }
}
