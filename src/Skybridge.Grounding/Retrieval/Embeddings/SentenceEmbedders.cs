namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>The embedding model a node or a command uses, by name.</summary>
public static class SentenceEmbedders
{
    /// <summary>The built-in model (<see cref="MiniLmSentenceEmbedder"/>).</summary>
    public const string Builtin = "builtin";

    /// <summary>No model: retrieval by words only (BM25). For tests and hosts where retrieval quality is not the point.</summary>
    public const string None = "none";

    /// <summary>
    /// The model named by <paramref name="setting"/>: <c>builtin</c> (or empty), <c>none</c> (null: words only). Any
    /// other name is a model this build does not have; it fails on first use, which means words only with one warning,
    /// never a crash.
    /// </summary>
    public static ISentenceEmbedder? Create(string? setting)
    {
        var name = string.IsNullOrWhiteSpace(setting) ? Builtin : setting.Trim();
        if (string.Equals(name, None, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return string.Equals(name, Builtin, StringComparison.OrdinalIgnoreCase) ? MiniLmSentenceEmbedder.Instance : new UnavailableEmbedder(name);
    }

    private sealed class UnavailableEmbedder(string name) : ISentenceEmbedder
    {
        public string ModelId => name;

        public int Dimension => 0;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            throw new FileNotFoundException($"no embedding model '{name}' is available in this build (known: {Builtin}, {None})");
    }
}
