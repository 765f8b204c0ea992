using System.CommandLine;
using System.Globalization;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Storage;

namespace Skybridge.Cli;

/// <summary>
/// The sentence-embedding model of every command that retrieves (<c>ask</c>, <c>eval run</c>, <c>eval calibrate</c>,
/// <c>serve</c>), and where a command that reads a manifest's files from disk keeps passage vectors between runs.
/// </summary>
internal static class CliEmbeddings
{
    /// <summary><c>--embedding-model</c>: <c>builtin</c> (default, or $SKYBRIDGE_EMBEDDING_MODEL) or <c>none</c> (words only).</summary>
    public static Option<string> Model { get; } = new("--embedding-model")
    {
        Description = "Sentence-embedding model for retrieval by meaning: builtin (all-MiniLM-L6-v2, shipped) or none (words only, even where a manifest declares its own in retrieval.embedding). Default: $SKYBRIDGE_EMBEDDING_MODEL or builtin.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SKYBRIDGE_EMBEDDING_MODEL") is { Length: > 0 } name ? name : SentenceEmbedders.Builtin,
    };

    /// <summary>
    /// The vector cache folder: $SKYBRIDGE_CACHE/vectors, or cache/vectors under the default data folder. It holds only
    /// vectors derived from documents the user already has; deleting it costs one slower run.
    /// </summary>
    public static string CacheFolder(CliIo io) =>
        Path.Combine(io.Environment("SKYBRIDGE_CACHE") is { Length: > 0 } cache ? cache : Path.Combine(SkybridgeStores.DefaultDataFolder, "cache"), "vectors");

    /// <summary>
    /// The model named on the command line, its vectors cached in <see cref="CacheFolder"/>; null for <c>none</c>. A long
    /// embedding is shown to <paramref name="progress"/>, or by default in lines on standard error
    /// (<see cref="EmbeddingProgressLines"/>).
    /// </summary>
    public static DenseRetrieval? ForFiles(CliIo io, ParseResult parse, Action<EmbeddingProgress>? progress = null) =>
        For(io, parse, new FolderVectorCache(CacheFolder(io)), progress);

    /// <summary>The model named on the command line, its vectors kept in <paramref name="cache"/>; null for <c>none</c>.</summary>
    public static DenseRetrieval? For(CliIo io, ParseResult parse, IPassageVectorCache cache, Action<EmbeddingProgress>? progress = null)
    {
        var embedder = SentenceEmbedders.Create(parse.GetValue(Model));
        // One clear line on standard error when the model fails; the answer goes on by words.
        return embedder is null ? null : new DenseRetrieval(embedder, cache, message => io.Error.WriteLine("warning: " + message),
            progress ?? new EmbeddingProgressLines(io.Error, TimeProvider.System).Report) { Back = message => io.Error.WriteLine(message) };
    }
}

/// <summary>
/// A long embedding in lines on standard error: one when it starts, then at most one every <see cref="Every"/> with what
/// is done and about how long is left, and one when it ends. Only for <see cref="Large"/> passages or more (10-15 s
/// of the built-in model's work on two cores): a first `ask` over a large corpus embeds for minutes, and without a word
/// it looks hung; a small corpus is done before anyone would wonder.
/// </summary>
internal sealed class EmbeddingProgressLines(TextWriter error, TimeProvider time)
{
    /// <summary>The fewest passages whose embedding is shown.</summary>
    internal const int Large = 1000;

    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private long _started;
    private long _lastLine;

    public void Report(EmbeddingProgress progress)
    {
        if (progress.Total < Large)
        {
            return;
        }

        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (progress.Done == 0)
            {
                (_started, _lastLine) = (now, now);
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Embedding {progress.Total:N0} passages for retrieval by meaning (once: later runs read their vectors from the cache)..."));
                return;
            }

            var elapsed = time.GetElapsedTime(_started, now);
            if (progress.Done >= progress.Total)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {progress.Total:N0} passages embedded in {Duration(elapsed)}."));
                return;
            }

            if (time.GetElapsedTime(_lastLine, now) < Every)
            {
                return;
            }

            _lastLine = now;
            var left = elapsed * ((progress.Total - progress.Done) / (double)progress.Done);
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {progress.Done:N0} of {progress.Total:N0} embedded, about {Duration(left)} left."));
        }
    }

    private static string Duration(TimeSpan span) => span.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Round(span.TotalSeconds))} s");
}
