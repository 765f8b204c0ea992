using Skybridge.Core.Manifests;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// Retrieval by meaning for a <see cref="PassageIndex"/>: the embedding model, where passage vectors are kept, and what
/// to do when the model cannot be used. One instance per node (or per command) is shared by its indexes, so a model
/// that fails to load is tried once and reported once; from then on retrieval is by words only (BM25).
/// </summary>
public sealed class DenseRetrieval
{
    private readonly Action<string>? _warn;
    private readonly Action<EmbeddingProgress>? _progress;
    private readonly TimeProvider _time;
    private int _failed;
    private long _retryAt;
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<EmbeddingSettings, DenseRetrieval> _declared = new();

    /// <summary>Retrieval by meaning with <paramref name="embedder"/>, vectors kept in <paramref name="cache"/>.</summary>
    /// <param name="embedder">The model.</param>
    /// <param name="cache">Where vectors are kept; the process-wide memory cache sits in front of it.</param>
    /// <param name="warn">Told once, in a sentence fit for a log or a terminal, when the model fails.</param>
    /// <param name="progress">Told how many of the passages to embed are done: first when the work starts (0 done),
    /// then after each <see cref="ChunkSize"/> passages, whose vectors are kept in the cache before the next are
    /// computed. A first ingest of a large corpus takes minutes; this is how a terminal or a log shows it moving.</param>
    /// <param name="time">The clock that says when a model whose failures pass is tried again; the system's by default.</param>
    public DenseRetrieval(ISentenceEmbedder embedder, IPassageVectorCache? cache = null, Action<string>? warn = null, Action<EmbeddingProgress>? progress = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        Stored = cache;
        Cache = MemoryVectorCache.Shared.Before(cache);
        _warn = warn;
        _progress = progress;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// How long retrieval stays by words after a model whose failures pass (<see cref="ISentenceEmbedder.FailuresPass"/>)
    /// failed, before it is tried again: an endpoint that is down is not asked, and waited for, on every question.
    /// </summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a question waits for its vector from a model whose failures pass (a remote endpoint) before it is
    /// answered by words: a question is waited on by a person, a chunk of an ingest is not (it keeps the endpoint's own
    /// timeout and retries). The built-in model, in the process, is never cut short.
    /// </summary>
    public TimeSpan QuestionTimeout { get; init; } = WaitedOnTimeout;

    /// <summary>
    /// How long a model whose failures pass is given for work a person waits on (a question's vector, a claim's check):
    /// the default of <see cref="QuestionTimeout"/>, and what claim support gives the same endpoint.
    /// </summary>
    public static readonly TimeSpan WaitedOnTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Told, in a sentence, when a model whose failures pass answers again; the warning callback when null.</summary>
    public Action<string>? Back { get; init; }

    /// <summary>The cache behind the process-wide memory cache (null: memory only).</summary>
    internal IPassageVectorCache? Stored { get; }

    /// <summary>
    /// Retrieval by meaning with another model, sharing this one's cache, warnings and progress: the model a manifest
    /// declares (<c>retrieval.embedding</c>) on a node or a command that runs the built-in one by default.
    /// </summary>
    public DenseRetrieval With(ISentenceEmbedder embedder) =>
        new(embedder, Stored, _warn, _progress, _time) { ChunkSize = ChunkSize, RetryAfter = RetryAfter, QuestionTimeout = QuestionTimeout, Back = Back };

    /// <summary>
    /// The retrieval by meaning a manifest's <c>retrieval.embedding</c> asks for, given this one as the node's (or the
    /// command's) own: none declared, or <c>builtin</c>, is this one; <c>none</c> is words only (null); an
    /// OpenAI-compatible endpoint is its own model, sharing this one's cache and warnings, one instance per endpoint and
    /// model, so an endpoint that is down is found out once for every workflow that uses it.
    /// </summary>
    public DenseRetrieval? For(EmbeddingSettings? declared)
    {
        if (declared is null || declared.Provider == EmbeddingProvider.Builtin)
        {
            return this;
        }

        return declared.Provider == EmbeddingProvider.None
            ? null
            : _declared.GetOrAdd(declared, d => With(new OpenAICompatibleEmbedder(d)));
    }

    /// <summary>False while the model is not to be asked: failed for good, or failed a moment ago with failures that pass.</summary>
    public bool Usable => Volatile.Read(ref _failed) == 0 && (Volatile.Read(ref _retryAt) is var at && (at == 0 || _time.GetTimestamp() >= at));

    /// <summary>
    /// How many passages are embedded before their vectors are kept in the cache: an ingest stopped half-way (a killed
    /// process, a closed terminal) keeps what it computed, and the next run embeds only the rest. About 10-20 s of the
    /// built-in model's work on two cores; keeping them costs well under a second.
    /// </summary>
    public int ChunkSize { get; init; } = 1024;

    /// <summary>The model.</summary>
    public ISentenceEmbedder Embedder { get; }

    /// <summary>Where vectors are kept.</summary>
    public IPassageVectorCache Cache { get; }

    /// <summary>Why retrieval is by words only, once the model has failed; null while it works.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>
    /// Vectors for <paramref name="texts"/>, or null when the model fails (now or before): the caller falls back to
    /// words. Cancellation is passed on, never taken for a failure.
    /// </summary>
    internal IReadOnlyList<float[]>? TryEmbed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (!Usable)
        {
            return null;
        }

        try
        {
            var vectors = Embedder.Embed(texts, cancellationToken);
            if (vectors.Count != texts.Count || vectors.Any(v => v.Length != Embedder.Dimension))
            {
                throw new InvalidOperationException($"it returned {vectors.Count} vectors for {texts.Count} texts, or vectors not of {Embedder.Dimension} dimensions");
            }

            Recovered();
            return vectors;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure of the model (missing file, corrupt model, native runtime error) means words only, never a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (Embedder.FailuresPass)
            {
                Pause($"The sentence-embedding model '{Embedder.ModelId}' could not be used ({ex.GetType().Name}: {FirstLine(ex.Message)}); retrieval is by words only (BM25) until it answers again (tried again after {RetryAfter.TotalSeconds:0} s).");
            }
            else
            {
                Fail($"The sentence-embedding model '{Embedder.ModelId}' could not be used ({ex.GetType().Name}: {FirstLine(ex.Message)}); retrieval is by words only (BM25).");
            }

            return null;
        }
    }

    /// <summary>
    /// A question's vector, or null (words only): as <see cref="TryEmbed"/>, but a model whose failures pass is given
    /// <see cref="QuestionTimeout"/>, after which the question goes on by words and the model is paused like any failure.
    /// </summary>
    internal float[]? TryEmbedQuestion(string text)
    {
        if (!Embedder.FailuresPass)
        {
            return TryEmbed([text], CancellationToken.None)?[0];
        }

        using var deadline = new CancellationTokenSource(QuestionTimeout, _time);
        try
        {
            return TryEmbed([text], deadline.Token)?[0];
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Pause(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The sentence-embedding model '{Embedder.ModelId}' did not answer a question within {QuestionTimeout.TotalSeconds:0.#} s; retrieval is by words only (BM25) until it answers again (tried again after {RetryAfter.TotalSeconds:0} s)."));
            return null;
        }
    }

    /// <summary>Tells the progress listener, if any, how far the embedding of <paramref name="total"/> passages is.</summary>
    internal void Report(int done, int total) => _progress?.Invoke(new EmbeddingProgress(done, total));

    private void Fail(string message)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0)
        {
            Unavailable = message;
            _warn?.Invoke(message);
        }
    }

    // A failure that may pass: words only until RetryAfter has gone by; said once for the whole outage, not per question.
    private void Pause(string message)
    {
        lock (_gate)
        {
            Volatile.Write(ref _retryAt, _time.GetTimestamp() + (long)(RetryAfter.TotalSeconds * _time.TimestampFrequency));
            if (Unavailable is null)
            {
                Unavailable = message;
                _warn?.Invoke(message);
            }
        }
    }

    private void Recovered()
    {
        if (Volatile.Read(ref _retryAt) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (Unavailable is not null)
            {
                (Back ?? _warn)?.Invoke($"The sentence-embedding model '{Embedder.ModelId}' answers again; retrieval is by words and meaning.");
            }

            Unavailable = null;
            Volatile.Write(ref _retryAt, 0);
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}

/// <summary>How far an embedding of passages is: <paramref name="Done"/> of <paramref name="Total"/> passages have vectors.</summary>
/// <param name="Done">Passages embedded and kept so far.</param>
/// <param name="Total">Passages this ingest embeds (those whose vectors no cache had).</param>
public readonly record struct EmbeddingProgress(int Done, int Total);
