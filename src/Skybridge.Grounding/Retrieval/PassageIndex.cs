using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Skybridge.Core.Grounding;
using Skybridge.Core.Ledger;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval.Embeddings;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace Skybridge.Grounding.Retrieval;

/// <summary>
/// The passages a search returns, best first, and the page each ranking put first, even when fusion left that page's
/// passage out of the passages returned: what a reason for a hand-over names when the two rankings disagree.
/// </summary>
public sealed class SearchHits(IList<RetrievedPassage> passages, string? firstPageByWords = null, string? firstPageByMeaning = null)
    : System.Collections.ObjectModel.ReadOnlyCollection<RetrievedPassage>(passages)
{
    /// <summary>The path of the page of BM25's first passage; null when nothing matched by words.</summary>
    public string? FirstPageByWords { get; } = firstPageByWords;

    /// <summary>The path of the page of the passage closest in meaning; null by words only.</summary>
    public string? FirstPageByMeaning { get; } = firstPageByMeaning;
}

/// <summary>A passage retrieval found, with its BM25 score, how much of the question it covers and how close in meaning it is.</summary>
/// <param name="Document">The document it is from (the version indexed).</param>
/// <param name="Span">Its place in the document's text.</param>
/// <param name="Score">The BM25 score (Lucene's BM25Similarity, k1 1.2, b 0.75); 0 for a passage found by meaning alone.</param>
/// <param name="Coverage">
/// Weighted share of the question's terms the passage contains, 0..1: the confidence measure. Terms weigh their IDF; the
/// narrative around a ticket's question sentences weighs less (<see cref="PassageIndex.NarrativeWeight"/>; docs/grounding.md).
/// </param>
public sealed record RetrievedPassage(SourceDocument Document, TextSpan Span, float Score, double Coverage)
{
    /// <summary>The passage's text.</summary>
    public string Text => Span.Of(Document.Text);

    /// <summary>
    /// Cosine similarity of the passage's and the question's sentence embeddings, -1..1 (in practice 0..1); null when
    /// retrieval was by words only (no model, or the model failed).
    /// </summary>
    public double? Similarity { get; init; }

    /// <summary>Whether the passage is BM25's first candidate (by words alone it always is for the first passage returned).</summary>
    public bool FirstByWords { get; init; }

    /// <summary>Whether the passage is the first candidate by meaning; false when retrieval was by words only.</summary>
    public bool FirstByMeaning { get; init; }
}

/// <summary>How a search retrieved: <c>fused</c> (words and meaning) or <c>words</c> (BM25 only).</summary>
public static class RetrievalModes
{
    /// <summary>BM25 and sentence embeddings, fused by reciprocal rank.</summary>
    public const string Fused = "fused";

    /// <summary>BM25 only: no model configured, or it failed.</summary>
    public const string Words = "words";
}

/// <summary>
/// Passage retrieval by words and by meaning. Words: BM25 with Lucene.Net, English analysis (stemming, stop words), one
/// Lucene document per passage. Meaning (with a <see cref="DenseRetrieval"/>): one sentence-embedding vector per passage,
/// searched exhaustively by cosine, fused with BM25 by reciprocal rank (k = 60) plus page evidence. Documents are added
/// and replaced by path, so a changed document is re-indexed alone; vectors come from a cache keyed by model and passage
/// text, so an unchanged passage is never embedded twice. The index is a cache: it lives in memory and is rebuilt from the store's
/// documents when a node starts.
/// </summary>
public sealed class PassageIndex : IDisposable
{
    // Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): score = sum over rankings of 1 / (k + rank);
    // k = 60 is the paper's value and damps the weight of the very first ranks.
    internal const int FusionK = 60;

    // Each ranking contributes this many candidates (at least top-k): a passage ranked far down by one ranking and
    // near the top by the other is what fusion exists to find. Cut at 50, a passage that meaning put 51st got nothing
    // from it, however high words put it, and a page's further passages gave it no page evidence; at 150-300 both golden
    // sets gain (docs/performance.md, "How deep each ranking is fused"), at about 0.6 ms more per answer on 30,000
    // passages.
    private const int Candidates = 200;

    private readonly DenseRetrieval? _dense;
    private volatile bool _vectorsIncomplete;
    private readonly Dictionary<string, IReadOnlyList<(TextSpan Span, string Digest)>> _spans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _vectors = new(StringComparer.Ordinal);
    private DenseSnapshot _denseSnapshot = new([], []);

    private sealed record DenseEntry(string DocKey, TextSpan Span, float[] Vector);

    // The entries and where each passage is among them, replaced together so a search never sees one without the other.
    private sealed record DenseSnapshot(DenseEntry[] Entries, Dictionary<(string, TextSpan), int> Lookup);

    private static readonly LuceneVersion Version = LuceneVersion.LUCENE_48;
    private readonly Analyzer _analyzer = GroundingAnalyzer.Create();
    private readonly Lucene.Net.Store.Directory _directory;
    private readonly IndexWriter _writer;
    private readonly Dictionary<string, SourceDocument> _documents = new(StringComparer.Ordinal);
    private readonly System.Threading.Lock _gate = new();
    private SearcherManager? _searchers;

    /// <summary>An empty index, by words only.</summary>
    public PassageIndex() : this(null) { }

    /// <summary>An empty index, by words and (when <paramref name="dense"/> is given) by meaning.</summary>
    public PassageIndex(DenseRetrieval? dense) : this(dense, new RAMDirectory()) { }

    private PassageIndex(DenseRetrieval? dense, Lucene.Net.Store.Directory directory)
    {
        _dense = dense;
        _directory = directory;
        _writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer) { Similarity = new BM25Similarity(), RAMBufferSizeMB = 64 });
    }

    /// <summary>Passages indexed.</summary>
    public int PassageCount { get { lock (_gate) { return _writer.NumDocs; } } }

    /// <summary>The indexed version of each document, by source and path.</summary>
    public IReadOnlyDictionary<string, SourceDocument> Documents { get { lock (_gate) { return new Dictionary<string, SourceDocument>(_documents); } } }

    private static string Key(SourceDocument d) => d.Source + "/" + d.Path;

    /// <summary>
    /// The passages <paramref name="document"/> was indexed as, in reading order; empty when that version is not indexed
    /// (outdated, replaced or removed). The spans the index cut, not cut again.
    /// </summary>
    public IReadOnlyList<TextSpan> PassagesOf(SourceDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_gate)
        {
            return _documents.TryGetValue(Key(document), out var indexed) && indexed.Version == document.Version && _spans.TryGetValue(Key(document), out var spans)
                ? [.. spans.Select(s => s.Span)]
                : [];
        }
    }

    /// <summary>
    /// <see cref="RetrievalModes.Fused"/> when searches use meaning as well as words; <see cref="RetrievalModes.Words"/>
    /// when there is no model or it failed (<see cref="WordsOnlyReason"/>).
    /// </summary>
    public string Mode => _dense is not null && _dense.Unavailable is null && VectorCount > 0 ? RetrievalModes.Fused : RetrievalModes.Words;

    /// <summary>Why retrieval is by words only, when the model failed; null otherwise.</summary>
    public string? WordsOnlyReason => _dense?.Unavailable;

    /// <summary>The embedding model retrieval uses, or null when there is none or it failed (retrieval by words only).</summary>
    public Embeddings.ISentenceEmbedder? Embedder => _dense is not null && _dense.Unavailable is null ? _dense.Embedder : null;

    /// <summary>Passages that have a vector (for reports and tests).</summary>
    public int VectorCount => Volatile.Read(ref _denseSnapshot).Entries.Length;

    /// <summary>
    /// <see cref="Upsert"/>, then the vectors of new passages: from the cache when known, from the model otherwise (and
    /// kept in the cache). When the model fails the documents are still indexed by words.
    /// </summary>
    public async Task<int> UpsertAsync(IEnumerable<SourceDocument> documents, CancellationToken cancellationToken)
    {
        var changed = Upsert(documents);
        await EmbedPendingAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// True when passages were left without a vector because the model failed with a failure that passes (an endpoint
    /// down): <see cref="EmbedPendingAsync"/> is to be called again once the model may be asked
    /// (<see cref="Embeddings.DenseRetrieval.Usable"/>). Until then those passages are found by words only.
    /// </summary>
    public bool VectorsIncomplete => _vectorsIncomplete && _dense is not null;

    /// <summary>The model behind retrieval by meaning may be asked now (it has not failed, or its failure may have passed).</summary>
    public bool MeaningUsable => _dense is not null && _dense.Usable;

    /// <summary>Computes (or fetches from the cache) the vectors of passages that have none yet.</summary>
    public async Task EmbedPendingAsync(CancellationToken cancellationToken)
    {
        if (_dense is null)
        {
            return;
        }

        if (!_dense.Usable)
        {
            // Not asked now (failed a moment ago); whatever has no vector waits for the next call once it may be asked.
            _vectorsIncomplete = true;
            return;
        }

        _vectorsIncomplete = false;

        // Where each passage without a vector is; its text is cut out only if the cache lacks its vector too, not for
        // every passage of an unchanged corpus (12,000 strings, 11 MB, on every cached `ask` of 766 pages).
        Dictionary<string, (string Text, TextSpan Span)> pending;
        lock (_gate)
        {
            pending = new Dictionary<string, (string, TextSpan)>(StringComparer.Ordinal);
            foreach (var (key, spans) in _spans)
            {
                var text = _documents[key].Text;
                foreach (var (span, digest) in spans)
                {
                    if (!_vectors.ContainsKey(digest))
                    {
                        pending.TryAdd(digest, (text, span));
                    }
                }
            }
        }

        if (pending.Count > 0)
        {
            var model = _dense.Embedder.ModelId;
            var found = new Dictionary<string, float[]>(await _dense.Cache.GetAsync(model, pending.Keys, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
            var missing = pending.Keys.Where(d => !found.TryGetValue(d, out var v) || v.Length != _dense.Embedder.Dimension).ToList();
            if (missing.Count > 0)
            {
                // Chunk by chunk, each kept before the next is computed: stopped half-way, an ingest of minutes keeps
                // what it did (the next run reads those vectors back and embeds the rest).
                _dense.Report(0, missing.Count);
                var chunkSize = Math.Max(1, _dense.ChunkSize);
                for (var at = 0; at < missing.Count; at += chunkSize)
                {
                    var chunk = missing.GetRange(at, Math.Min(chunkSize, missing.Count - at));
                    var computed = _dense.TryEmbed([.. chunk.Select(d => pending[d].Span.Of(pending[d].Text))], cancellationToken);
                    if (computed is null)
                    {
                        // What was computed is kept (in the cache); the rest waits until the model may be asked again.
                        _vectorsIncomplete = true;
                        return;
                    }

                    var fresh = chunk.Zip(computed).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
                    await _dense.Cache.PutAsync(model, fresh, cancellationToken).ConfigureAwait(false);
                    foreach (var (digest, vector) in fresh)
                    {
                        found[digest] = vector;
                    }

                    _dense.Report(at + chunk.Count, missing.Count);
                }
            }

            lock (_gate)
            {
                foreach (var digest in pending.Keys)
                {
                    if (found.TryGetValue(digest, out var vector) && vector.Length == _dense.Embedder.Dimension)
                    {
                        _vectors[digest] = vector;
                    }
                }
            }
        }

        RebuildDense();
    }

    private void RebuildDense()
    {
        lock (_gate)
        {
            var entries = new List<DenseEntry>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, spans) in _spans)
            {
                foreach (var (span, digest) in spans)
                {
                    if (_vectors.TryGetValue(digest, out var vector))
                    {
                        entries.Add(new DenseEntry(key, span, vector));
                        used.Add(digest);
                    }
                }
            }

            // Vectors of passages no longer indexed are dropped here (the cache keeps them for a later return).
            foreach (var stale in _vectors.Keys.Where(d => !used.Contains(d)).ToList())
            {
                _vectors.Remove(stale);
            }

            var array = entries.ToArray();
            var lookup = new Dictionary<(string, TextSpan), int>(array.Length);
            for (var i = 0; i < array.Length; i++)
            {
                lookup[(array[i].DocKey, array[i].Span)] = i;
            }

            Volatile.Write(ref _denseSnapshot, new DenseSnapshot(array, lookup));
        }
    }

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
                _spans.Remove(key);
                changed++;
                if (document.IsOutdated)
                {
                    continue;
                }

                var spans = new List<(TextSpan, string)>();
                foreach (var span in PassageSplitter.Split(document.Text))
                {
                    spans.Add((span, TextDigest.Sha256(span.Of(document.Text))));
                    _writer.AddDocument(
                    [
                        new StringField("doc", key, Field.Store.YES),
                        new Int32Field("start", span.Start, Field.Store.YES),
                        new Int32Field("end", span.End, Field.Store.YES),
                        new TextField("text", span.Of(document.Text), Field.Store.NO),
                        new TextField("title", document.Title, Field.Store.NO),
                    ]);
                }

                _spans[key] = spans;
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

        if (changed > 0 && _dense is not null)
        {
            RebuildDense();
        }

        return changed;
    }

    /// <summary>
    /// Writes the words index to <paramref name="folder"/> (Lucene's committed files, and each passage's span and digest),
    /// for <see cref="Restore"/> over the same documents in a later process: what a command that reads files from disk
    /// keeps between runs.
    /// </summary>
    public void SaveWords(string folder)
    {
        lock (_gate)
        {
            _writer.Commit();
            System.IO.Directory.CreateDirectory(folder);
            using (var target = FSDirectory.Open(Path.Combine(folder, LuceneFolder)))
            {
                foreach (var file in _directory.ListAll())
                {
                    _directory.Copy(target, file, file, IOContext.DEFAULT);
                }
            }

            // Each passage's span and digest, so that a restore neither cuts the documents again nor hashes every
            // passage to find its vector: on a machine without SHA instructions that was about 0.1 s of an unchanged
            // `skybridge ask` on 766 pages, against under 0.01 s to read them (docs/performance.md).
            using var passages = new BinaryWriter(File.Create(Path.Combine(folder, PassagesFile)));
            passages.Write(PassagesFormat);
            passages.Write(_spans.Count);
            foreach (var (key, spans) in _spans)
            {
                passages.Write(key);
                passages.Write(spans.Count);
                foreach (var (span, digest) in spans)
                {
                    passages.Write(span.Start);
                    passages.Write(span.End);
                    passages.Write(Convert.FromHexString(digest));
                }
            }
        }
    }

    private const string LuceneFolder = "lucene";
    private const string PassagesFile = "passages";
    private const int PassagesFormat = 1;

    /// <summary>
    /// An index over <paramref name="documents"/> whose words index <see cref="SaveWords"/> wrote to
    /// <paramref name="folder"/>: no passage is analysed, cut or hashed again. The caller vouches that the documents are the
    /// ones saved (a content hash); a folder whose passages are not those of the documents given (another set of documents,
    /// a document's passages past its text) throws, and Lucene throws on damaged files: the caller then builds the index
    /// anew.
    /// </summary>
    public static PassageIndex Restore(string folder, IEnumerable<SourceDocument> documents, DenseRetrieval? dense)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var saved = ReadPassages(Path.Combine(folder, PassagesFile));
        RAMDirectory words;
        using (var lucene = FSDirectory.Open(Path.Combine(folder, LuceneFolder)))
        {
            words = new RAMDirectory(lucene, IOContext.READ_ONCE);
        }

        var index = new PassageIndex(dense, words);
        try
        {
            var passages = 0;
            var indexed = 0;
            foreach (var document in documents)
            {
                var key = Key(document);
                index._documents[key] = document;
                if (document.IsOutdated)
                {
                    continue;
                }

                if (!saved.TryGetValue(key, out var spans) || spans.Any(p => p.Span.Start < 0 || p.Span.End > document.Text.Length || p.Span.Start > p.Span.End))
                {
                    throw new InvalidDataException($"the saved words index has no passages of '{key}' that fit its text");
                }

                index._spans[key] = spans;
                passages += spans.Count;
                indexed++;
            }

            if (indexed != saved.Count || index._writer.NumDocs != passages)
            {
                throw new InvalidDataException($"the saved words index holds {index._writer.NumDocs} passages of {saved.Count} documents, the documents {passages} of {indexed}");
            }

            index._searchers = new SearcherManager(index._writer, applyAllDeletes: true, new SimilarityFactory());
            if (dense is not null)
            {
                index.RebuildDense();
            }

            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private static Dictionary<string, IReadOnlyList<(TextSpan Span, string Digest)>> ReadPassages(string file)
    {
        using var reader = new BinaryReader(File.OpenRead(file));
        if (reader.ReadInt32() != PassagesFormat)
        {
            throw new InvalidDataException("the saved passages are of another format");
        }

        var documents = reader.ReadInt32();
        // Counts are read, not trusted for sizes: a damaged file fails on its bytes, not on an allocation.
        var saved = new Dictionary<string, IReadOnlyList<(TextSpan, string)>>(Math.Clamp(documents, 0, 4096), StringComparer.Ordinal);
        for (var d = 0; d < documents; d++)
        {
            var key = reader.ReadString();
            var count = reader.ReadInt32();
            var spans = new List<(TextSpan, string)>(Math.Clamp(count, 0, 4096));
            for (var i = 0; i < count; i++)
            {
                var span = new TextSpan(reader.ReadInt32(), reader.ReadInt32());
                var digest = reader.ReadBytes(SHA256.HashSizeInBytes);
                if (digest.Length != SHA256.HashSizeInBytes)
                {
                    throw new EndOfStreamException("the saved passages end inside a digest");
                }

                spans.Add((span, Convert.ToHexStringLower(digest)));
            }

            saved[key] = spans;
        }

        return saved;
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
                    _spans.Remove(key);
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

        if (removed > 0)
        {
            RebuildDense();
        }

        return removed;
    }

    /// <summary>The question's analysed terms (stemmed, without stop words), distinct.</summary>
    public IReadOnlyList<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        // Distinct by a set, not by searching the list: a whole document (the source profile reads every one) has
        // thousands of distinct terms, and a list search made that quadratic (4.6 s of `ask` on 1,000 pages).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var stream = _analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            var value = term.ToString();
            if (seen.Add(value))
            {
                terms.Add(value);
            }
        }

        stream.End();
        return terms;
    }

    /// <summary>
    /// Every analysed term of the indexed passages' text, read from the index's term dictionary (terms of replaced or
    /// removed passages that the index still lists are left out): what analysing every document again would give, in
    /// milliseconds instead of seconds on a thousand pages. Outdated documents are not indexed, so not included.
    /// </summary>
    public HashSet<string> IndexedTerms()
    {
        var vocabulary = new HashSet<string>(StringComparer.Ordinal);
        if (_searchers is null)
        {
            return vocabulary;
        }

        var searcher = _searchers.Acquire();
        try
        {
            var reader = searcher.IndexReader;
            var live = MultiFields.GetLiveDocs(reader);
            var terms = MultiFields.GetTerms(reader, "text");
            if (terms is null)
            {
                return vocabulary;
            }

            var each = terms.GetEnumerator();
            DocsEnum? docs = null;
            while (each.MoveNext())
            {
                // A replaced passage's terms stay in the dictionary until its segment is merged: only a live one counts.
                docs = each.Docs(live, docs, DocsFlags.NONE);
                if (docs.NextDoc() != DocIdSetIterator.NO_MORE_DOCS)
                {
                    vocabulary.Add(each.Term.Utf8ToString());
                }
            }

            return vocabulary;
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>
    /// The <paramref name="topK"/> best passages for <paramref name="question"/>, best first: BM25 alone, or BM25 and
    /// meaning fused by reciprocal rank when the index has vectors and the model works (<see cref="Mode"/>), a page's
    /// other candidate passages then adding to each of its passages' fused score (<see cref="WithPageEvidence"/>).
    /// </summary>
    public SearchHits Search(string question, int topK)
    {
        ArgumentNullException.ThrowIfNull(question);
        topK = Math.Max(1, topK);
        // Order numbers, amounts and dates identify a case; they never say which article answers it.
        var terms = Terms(question).Where(t => !IsIdentifier(t)).Take(64).ToList();
        if (terms.Count == 0 || _searchers is null)
        {
            return new SearchHits([]);
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

            // The evidence for what is asked: what the ticket asks weighs fully, the story around it less.
            var ask = AnswerShapes.AskOf(question, Terms) is { HasStory: true } read ? read.Text : null;
            HashSet<string> asked = ask is null ? [] : [.. Terms(ask)];
            var weight = terms.ToDictionary(t => t, t => idf[t] * (asked.Count == 0 || asked.Contains(t) ? 1 : NarrativeWeight));
            var weightSum = weight.Values.Sum();
            var snapshot = Volatile.Read(ref _denseSnapshot);
            var entries = snapshot.Entries;
            // By meaning, a ticket is searched by what it asks: embedded whole, its story (the product, the city, what
            // happened) pulls in the product's care page or the city's shipping table instead of the page that answers.
            // Words still search the whole ticket: there the story's rare terms are what tells two answering pages apart
            // (docs/grounding.md, "Retrieval").
            var questionVector = entries.Length > 0 ? _dense?.TryEmbedQuestion(ask ?? question) : null;
            var hits = searcher.Search(query, questionVector is null ? topK : Math.Max(topK, Candidates)).ScoreDocs;
            Dictionary<string, SourceDocument> documents;
            lock (_gate)
            {
                documents = new Dictionary<string, SourceDocument>(_documents);
            }

            // Candidates by words, in BM25 order.
            var lexical = new List<(string DocKey, TextSpan Span, float Score)>(hits.Length);
            foreach (var hit in hits)
            {
                var stored = searcher.Doc(hit.Doc);
                var key = stored.Get("doc");
                if (documents.ContainsKey(key))
                {
                    lexical.Add((key, new TextSpan(stored.GetField("start").GetInt32Value()!.Value, stored.GetField("end").GetInt32Value()!.Value), hit.Score));
                }
            }

            RetrievedPassage Make(string key, TextSpan span, float score, double? similarity)
            {
                var document = documents[key];
                var present = Terms(span.Of(document.Text)).ToHashSet(StringComparer.Ordinal);
                var covered = terms.Where(present.Contains).Sum(t => weight[t]);
                return new RetrievedPassage(document, span, score, weightSum <= 0 ? 0 : Math.Clamp(covered / weightSum, 0, 1)) { Similarity = similarity };
            }

            if (questionVector is null)
            {
                return new SearchHits([.. lexical.Take(topK).Select((l, i) => Make(l.DocKey, l.Span, l.Score, null) with { FirstByWords = i == 0 })],
                    lexical.Count > 0 ? documents[lexical[0].DocKey].Path : null);
            }

            // Candidates by meaning: exhaustive cosine (the vectors are unit length, so the dot product), the best kept in
            // a bounded heap: no allocation per passage, which is what a 30,000-passage scan would otherwise cost.
            var keep = Math.Max(topK, Candidates);
            var heap = new PriorityQueue<int, float>(keep + 1);
            for (var i = 0; i < entries.Length; i++)
            {
                var score = TensorPrimitives.Dot(questionVector, entries[i].Vector);
                if (heap.Count < keep)
                {
                    heap.Enqueue(i, score);
                }
                else if (heap.TryPeek(out _, out var lowest) && score > lowest)
                {
                    heap.DequeueEnqueue(i, score);
                }
            }

            var similarity = new Dictionary<(string, TextSpan), double>();
            var semantic = new List<(string, TextSpan)>(heap.Count);
            while (heap.TryDequeue(out var i, out var score))
            {
                if (documents.ContainsKey(entries[i].DocKey))
                {
                    similarity[(entries[i].DocKey, entries[i].Span)] = score;
                    semantic.Add((entries[i].DocKey, entries[i].Span));
                }
            }

            semantic.Reverse();
            // Passages found by words alone get their similarity too, for the answerer's checks.
            foreach (var l in lexical)
            {
                if (!similarity.ContainsKey((l.DocKey, l.Span)) && snapshot.Lookup.TryGetValue((l.DocKey, l.Span), out var at))
                {
                    similarity[(l.DocKey, l.Span)] = TensorPrimitives.Dot(questionVector, entries[at].Vector);
                }
            }

            var fusedScores = new Dictionary<(string, TextSpan), double>();
            var bm25 = new Dictionary<(string, TextSpan), float>();
            for (var rank = 0; rank < lexical.Count; rank++)
            {
                var id = (lexical[rank].DocKey, lexical[rank].Span);
                bm25[id] = lexical[rank].Score;
                fusedScores[id] = 1.0 / (FusionK + rank + 1);
            }

            for (var rank = 0; rank < semantic.Count; rank++)
            {
                fusedScores[semantic[rank]] = fusedScores.GetValueOrDefault(semantic[rank]) + (1.0 / (FusionK + rank + 1));
            }

            var ordered = WithDecisiveWords(WithPageEvidence(fusedScores), lexical);
            // Equal scores keep BM25's order, then meaning's.
            return new SearchHits(
                [.. ordered
                    .OrderByDescending(p => p.Value)
                    .ThenByDescending(p => bm25.GetValueOrDefault(p.Key))
                    .ThenByDescending(p => similarity.GetValueOrDefault(p.Key))
                    .Take(topK)
                    .Select(p => Make(p.Key.Item1, p.Key.Item2, bm25.GetValueOrDefault(p.Key), similarity.TryGetValue(p.Key, out var sim) ? sim : null) with
                    {
                        FirstByWords = lexical.Count > 0 && p.Key == (lexical[0].DocKey, lexical[0].Span),
                        FirstByMeaning = semantic.Count > 0 && p.Key == semantic[0],
                    })],
                lexical.Count > 0 ? documents[lexical[0].DocKey].Path : null,
                semantic.Count > 0 ? documents[semantic[0].Item1].Path : null);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>
    /// An order number, amount, date or reference: a term of three characters or more with at least as many digits as
    /// letters ("000123", "34.90", "ord12345"). A name with a digit in it ("sqlite3_limit", "fts5", "utf8") is what the
    /// question is about and stays: dropped, "What is the purpose of the sqlite3_limit() interface?" was searched as
    /// "purpose interface".
    /// </summary>
    internal static bool IsIdentifier(string term) => term.Length >= 3 && term.Count(char.IsAsciiDigit) >= term.Count(char.IsLetter);

    /// <summary>
    /// How much of the best other candidate passage of the same page adds to a passage's fused score
    /// (<see cref="WithPageEvidence"/>). A tenth: near the top, about what five ranks higher in both rankings are worth,
    /// enough to put the page that is about the subject above one that mentions it once, not enough for a page of weak
    /// passages to outrank a strong one (docs/performance.md, "Which page answers": a twentieth gained less, and the same
    /// rule by words only lost).
    /// </summary>
    internal const double PageEvidenceWeight = 0.1;

    /// <summary>
    /// Page evidence on fused scores: each passage gains <see cref="PageEvidenceWeight"/> of the best fused score of
    /// another candidate passage of its page. A page whose passages match the question by words and by meaning several
    /// times over is the subject's own page; a page that mentions it once (a change log, a neighbouring interface) has
    /// one passage in the pool. Used only with meaning: by words alone the pool is BM25's, where a long page that repeats
    /// the question's words (release logs, requirement lists) has many passages without being about the subject, and the
    /// same rule made answers worse.
    /// </summary>
    internal static Dictionary<(string DocKey, TextSpan Span), double> WithPageEvidence(IReadOnlyDictionary<(string DocKey, TextSpan Span), double> fused)
    {
        // The two best fused scores of each page: a passage's evidence is the best of the others.
        var best = new Dictionary<string, (double First, double Second)>(StringComparer.Ordinal);
        foreach (var (id, score) in fused)
        {
            var (first, second) = best.GetValueOrDefault(id.DocKey, (0, 0));
            best[id.DocKey] = score > first ? (score, first) : (first, Math.Max(second, score));
        }

        var result = new Dictionary<(string, TextSpan), double>(fused.Count);
        foreach (var (id, score) in fused)
        {
            var (first, second) = best[id.DocKey];
            result[id] = score + (PageEvidenceWeight * (score >= first ? second : first));
        }

        return result;
    }

    /// <summary>
    /// How many times the best other page's best BM25 score the first passage by words must score to be placed first in
    /// the fused order (<see cref="WithDecisiveWords"/>). Measured at 1.3 and 1.5 on both golden sets
    /// (docs/performance.md, "Which page is ranked first"): 1.5 changed one case, a hand-over answered right; 1.3 also
    /// answered two tickets without their fact.
    /// </summary>
    internal const double DecisiveWordsRatio = 1.5;

    /// <summary>
    /// Words that single out one page go first: when the first passage by BM25 scores at least
    /// <see cref="DecisiveWordsRatio"/> times the best passage of any other page (or no other page matches at all), it
    /// is placed first in the fused order. Rank fusion sees only ranks, so a passage that holds the question's rare words
    /// several times over and a passage that barely beat the next one weigh the same, and a passage far down meaning's
    /// list can keep it out of the passages read: "Please refund the 9.90 express fee", a ticket about a late express
    /// parcel, was handed over because the express page's passage about refunding the surcharge, BM25's first by a wide
    /// margin, was not among the five. Only BM25's margin over other pages counts: a page that repeats a word in several
    /// passages is not singled out by its own passages.
    /// </summary>
    internal static Dictionary<(string DocKey, TextSpan Span), double> WithDecisiveWords(Dictionary<(string DocKey, TextSpan Span), double> fused, IReadOnlyList<(string DocKey, TextSpan Span, float Score)> lexical)
    {
        if (lexical.Count == 0 || fused.Count == 0)
        {
            return fused;
        }

        var first = lexical[0];
        var next = lexical.Skip(1).FirstOrDefault(l => !string.Equals(l.DocKey, first.DocKey, StringComparison.Ordinal));
        if (next.DocKey is not null && first.Score < DecisiveWordsRatio * next.Score)
        {
            return fused;
        }

        var top = fused.Values.Max();
        var id = (first.DocKey, first.Span);
        if (fused.TryGetValue(id, out var own) && own >= top)
        {
            return fused;
        }

        // Just above the best: the rest of the order, and so what meaning and page evidence said, stays as it was.
        fused[id] = top + (top * 1e-6);
        return fused;
    }

    /// <summary>
    /// How much a term that only the story of a ticket uses (the greeting, what happened, the product, the city) weighs in
    /// coverage, against 1 for a term of what it asks. What it asks is read as the engine reads it
    /// (<see cref="AnswerShapes.AskOf"/>): its questions and its requests ("Refund the 89.95 please."), an ask that says
    /// too little with the sentence before it; a ticket that only tells a story, or only asks, weighs every term fully.
    /// The passage that answers "how long do I have to send them back?" rarely repeats the story around it, but the story
    /// still says what the ticket is about, so it is discounted, not dropped. 0.4 with the requests read as asks (0.75
    /// when only question sentences were): measured on both golden sets, docs/performance.md, "Chatty tickets".
    /// </summary>
    public const double NarrativeWeight = 0.4;

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
