namespace Skybridge.Core.Manifests;

/// <summary>How sensitive a source's data is.</summary>
public enum DataClassification
{
    /// <summary>May be published.</summary>
    Public,

    /// <summary>For staff.</summary>
    Internal,

    /// <summary>For named teams.</summary>
    Confidential,

    /// <summary>For named people; the strictest handling.</summary>
    Restricted,
}

/// <summary>A folder of documents inside the data boundary.</summary>
public sealed record DataSource
{
    /// <summary>Source name, cited by answers.</summary>
    public required string Name { get; init; }

    /// <summary>Folder relative to the manifest's folder, never outside it.</summary>
    public required string Path { get; init; }

    /// <summary>Document formats read from the folder (<c>markdown</c>, <c>html</c>, <c>text</c>...).</summary>
    public IReadOnlyList<string> Formats { get; init; } = [];

    /// <summary>How sensitive the data is.</summary>
    public required DataClassification Classification { get; init; }
}

/// <summary>Which model runs the workflow.</summary>
public enum ModelProvider
{
    /// <summary>In-process extractive answering: no data leaves the server.</summary>
    BuiltinExtractive,

    /// <summary>An OpenAI-compatible chat endpoint.</summary>
    OpenAICompatible,
}

/// <summary>The model provider and what it may see.</summary>
public sealed record ModelSettings
{
    /// <summary>The provider.</summary>
    public required ModelProvider Provider { get; init; }

    /// <summary>Endpoint for <see cref="ModelProvider.OpenAICompatible"/>; null for the builtin provider.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Model name for <see cref="ModelProvider.OpenAICompatible"/>; null for the builtin provider.</summary>
    public string? Model { get; init; }

    /// <summary>Always false in a valid manifest: the attestation that the provider does not train on our data.</summary>
    public bool TrainsOnData { get; init; }

    /// <summary>Kinds of personal data redacted before anything reaches the model (<c>email</c>, <c>iban</c>...).</summary>
    public IReadOnlyList<string> Redact { get; init; } = [];

    /// <summary>Further kinds of personal data, by name, as regular expressions (<c>customer_id: "CUST-[0-9]{6}"</c>).</summary>
    public IReadOnlyDictionary<string, string> RedactPatterns { get; init; } = new Dictionary<string, string>();
}

/// <summary>Prompt texts.</summary>
public sealed record PromptSettings
{
    /// <summary>The system prompt.</summary>
    public required string System { get; init; }

    /// <summary>Template for the answer step, or null for the default.</summary>
    public string? Answer { get; init; }
}

/// <summary>Retrieval settings.</summary>
public sealed record RetrievalSettings
{
    /// <summary>Passages retrieved per case, 1..50.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Passages scoring below this are dropped (>= 0).</summary>
    public double MinScore { get; init; }

    /// <summary>Confidence below which the system abstains instead of answering (0..1).</summary>
    public double AbstainBelow { get; init; } = 0.35;

    /// <summary>
    /// With retrieval by meaning, the similarity at or above which the best passage passes the confidence gate although
    /// its word coverage is below <see cref="AbstainBelow"/>, when BM25 and meaning rank the same page first (0..1; 1
    /// turns it off). Without meaning (words only) it is never read. Set from both golden sets (docs/performance.md,
    /// "Retrieval confidence from meaning").
    /// </summary>
    public double AgreedMeaningAt { get; init; } = 0.5;

    /// <summary>
    /// With retrieval by meaning, the similarity below which the passage closest in meaning to the question is too far
    /// from it to answer: the system abstains with <c>meaning_far</c> (0..1; 0 turns it off). Without meaning it is
    /// never read. 0.3 is the built-in model's (docs/grounding.md); a declared model has its own scale, set it with
    /// <c>skybridge eval calibrate --meaning-far-below</c>.
    /// </summary>
    public double MeaningFarBelow { get; init; } = 0.3;

    /// <summary>
    /// With a sentence-embedding model, the similarity of a claim to its own quotes below which the claim does not say
    /// what they say and is dropped (<c>meaning_far_from_quote</c>; 0..1, 0 turns it off). Read for an engine whose claims
    /// are not its quotes word for word (a remote model); the built-in engine's always are. 0.3 is the built-in model's
    /// (docs/grounding.md, "Claims checked for support"); set it for a declared model with
    /// <c>skybridge eval calibrate --claim-far-below</c>.
    /// </summary>
    public double ClaimFarBelow { get; init; } = 0.3;

    /// <summary>
    /// Share of the question's terms (IDF-weighted, identifiers aside) that no source contains at which the system
    /// abstains with <c>key_terms_missing</c> (0..1; at 1 only when none of them occurs).
    /// </summary>
    public double KeyTermsMissingAt { get; init; } = 0.5;

    /// <summary>
    /// The sentence-embedding model for retrieval by meaning, when the manifest names one; null leaves it to the node
    /// (the built-in model unless the node runs words only). A remote endpoint sees every passage of every source and
    /// every question, so it is declared here, beside the sources, where the data boundary is read.
    /// </summary>
    public EmbeddingSettings? Embedding { get; init; }

    /// <summary>
    /// Share of the documents below which a name the question is about is merely mentioned by the sources, not their
    /// subject (no title names it): when the sources have a subject of their own, the system abstains with
    /// <c>other_product_or_version</c> (0..1; 0 turns the check off).
    /// </summary>
    public double MentionedBelow { get; init; } = 0.1;
}

/// <summary>Where the vectors of retrieval by meaning come from.</summary>
public enum EmbeddingProvider
{
    /// <summary>The model shipped with Skybridge (all-MiniLM-L6-v2), run inside the process: no text leaves it.</summary>
    Builtin,

    /// <summary>No model: retrieval by words only (BM25).</summary>
    None,

    /// <summary>An OpenAI-compatible embeddings endpoint (<c>POST {endpoint}/embeddings</c>): vLLM, Ollama, text-embeddings-inference, OpenAI.</summary>
    OpenAICompatible,
}

/// <summary>The embedding model a manifest declares (<c>retrieval.embedding</c>).</summary>
public sealed record EmbeddingSettings
{
    /// <summary>The provider.</summary>
    public required EmbeddingProvider Provider { get; init; }

    /// <summary>Endpoint for <see cref="EmbeddingProvider.OpenAICompatible"/> (its base, as <c>https://host/v1</c>); otherwise null.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Model name for <see cref="EmbeddingProvider.OpenAICompatible"/>; otherwise null.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// The length of the model's vectors for <see cref="EmbeddingProvider.OpenAICompatible"/> (declared, so that a model
    /// swapped behind the endpoint is noticed rather than mixed with the vectors kept); otherwise 0.
    /// </summary>
    public int Dimensions { get; init; }
}
