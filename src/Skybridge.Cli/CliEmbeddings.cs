using System.CommandLine;
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
        Description = "Sentence-embedding model for retrieval by meaning: builtin (all-MiniLM-L6-v2, shipped) or none (words only). Default: $SKYBRIDGE_EMBEDDING_MODEL or builtin.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SKYBRIDGE_EMBEDDING_MODEL") is { Length: > 0 } name ? name : SentenceEmbedders.Builtin,
    };

    /// <summary>
    /// The vector cache folder: $SKYBRIDGE_CACHE/vectors, or cache/vectors under the default data folder. It holds only
    /// vectors derived from documents the user already has; deleting it costs one slower run.
    /// </summary>
    public static string CacheFolder =>
        Path.Combine(Environment.GetEnvironmentVariable("SKYBRIDGE_CACHE") is { Length: > 0 } cache ? cache : Path.Combine(SkybridgeStores.DefaultDataFolder, "cache"), "vectors");

    /// <summary>The model named on the command line, its vectors cached in <see cref="CacheFolder"/>; null for <c>none</c>.</summary>
    public static DenseRetrieval? ForFiles(CliIo io, ParseResult parse) => For(io, parse, new FolderVectorCache(CacheFolder));

    /// <summary>The model named on the command line, its vectors kept in <paramref name="cache"/>; null for <c>none</c>.</summary>
    public static DenseRetrieval? For(CliIo io, ParseResult parse, IPassageVectorCache cache)
    {
        var embedder = SentenceEmbedders.Create(parse.GetValue(Model));
        // One clear line on standard error when the model fails; the answer goes on by words.
        return embedder is null ? null : new DenseRetrieval(embedder, cache, message => io.Error.WriteLine("warning: " + message));
    }
}
