using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

/// <summary>
/// <c>retrieval.embedding</c>: where the vectors of retrieval by meaning come from. A remote endpoint sees every passage
/// and every question, so it is held to the answer model's rules (https, the allowed list, no training on the data).
/// </summary>
public sealed class EmbeddingManifestTests
{
    private const string Anchor = "model:\n  provider: builtin-extractive";

    private static string WithEmbedding(string embedding) => With(Anchor, "retrieval:\n  top_k: 5\n  embedding:\n" + embedding + Anchor);

    private const string Remote = """
            provider: openai-compatible
            endpoint: https://embed.example.internal/v1
            model: bge-large-en-v1.5
            dimensions: 1024
            trains_on_data: false

        """;

    [Fact]
    public void Load_ReadsADeclaredEndpoint()
    {
        var result = ManifestLoader.Load(WithEmbedding(Remote), FileName, AllFilesExist);

        Assert.True(result.IsValid, string.Join('\n', result.Diagnostics));
        Assert.Equal(new EmbeddingSettings
        {
            Provider = EmbeddingProvider.OpenAICompatible, Endpoint = new Uri("https://embed.example.internal/v1"), Model = "bge-large-en-v1.5", Dimensions = 1024,
        }, result.Manifest!.Retrieval.Embedding);
    }

    [Fact]
    public void Load_LeavesTheModelToTheNode_WhenNoneIsDeclared_AndReadsNone()
    {
        Assert.Null(ManifestLoader.Load(ValidManifest, FileName, AllFilesExist).Manifest!.Retrieval.Embedding);

        var none = ManifestLoader.Load(WithEmbedding("    provider: none\n"), FileName, AllFilesExist);

        Assert.Equal(EmbeddingProvider.None, none.Manifest!.Retrieval.Embedding!.Provider);
    }

    [Fact]
    public void Load_RefusesPlainHttpToAnotherMachine_ButNotToThisOne()
    {
        var text = WithEmbedding(Remote.Replace("https://embed.example.internal", "http://embed.example.internal", StringComparison.Ordinal));

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.UnencryptedModelEndpoint);
        AssertAt(diagnostic, Locate(text, "http://embed"));
        Assert.Contains("embedding endpoint 'http://embed.example.internal/v1' uses plain http; every passage and question would cross the network unencrypted", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(ManifestLoader.Load(WithEmbedding(Remote.Replace("https://embed.example.internal", "http://127.0.0.1:8080", StringComparison.Ordinal)), FileName, AllFilesExist).IsValid);
    }

    [Fact]
    public void Load_RefusesAnEndpointOffTheAllowedList_AndOneThatTrainsOnTheData()
    {
        var text = WithEmbedding(Remote.Replace("trains_on_data: false", "trains_on_data: true", StringComparison.Ordinal));

        var result = ManifestLoader.Load(text, FileName, AllFilesExist with { AllowedModelEndpoints = ["https://llm.example.internal/v1"] });

        AssertAt(Single(result, DiagnosticCodes.ModelEndpointNotAllowed), Locate(text, "https://embed"));
        Assert.Contains("embedding endpoint 'https://embed.example.internal/v1' is not on this installation's allowed list", Single(result, DiagnosticCodes.ModelEndpointNotAllowed).Message, StringComparison.Ordinal);
        AssertAt(Single(result, DiagnosticCodes.TrainsOnData), Locate(text, "true\n"));
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void Load_NeedsTheEndpointsModelAndDimensions_AndTheAttestation_AllReportedAtOnce()
    {
        var result = ManifestLoader.Load(WithEmbedding("    provider: openai-compatible\n"), FileName, AllFilesExist);

        var missing = result.Diagnostics.Where(d => d.Code == DiagnosticCodes.MissingKey).Select(d => d.Message).ToList();
        Assert.Equal(4, missing.Count);
        Assert.Contains(missing, m => m.Contains("'endpoint'", StringComparison.Ordinal));
        Assert.Contains(missing, m => m.Contains("'model'", StringComparison.Ordinal));
        Assert.Contains(missing, m => m.Contains("'dimensions'", StringComparison.Ordinal));
        Assert.Contains(missing, m => m.Contains("'trains_on_data'", StringComparison.Ordinal));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Load_WarnsThatAnEndpointIsIgnored_ForTheBuiltInModel_AndNamesTheValidProviders()
    {
        var text = WithEmbedding("    provider: builtin\n    endpoint: https://embed.example.internal/v1\n");

        var ignored = ManifestLoader.Load(text, FileName, AllFilesExist);

        Assert.True(ignored.IsValid);
        var warning = Single(ignored, DiagnosticCodes.ModelSettingIgnored);
        AssertAt(warning, Locate(text, "https://embed"));
        Assert.Contains("embedding provider 'builtin' needs no endpoint", warning.Message, StringComparison.Ordinal);

        var unknown = ManifestLoader.Load(WithEmbedding("    provider: minilm\n"), FileName, AllFilesExist);
        Assert.Contains("valid values: builtin, none, openai-compatible", Single(unknown, DiagnosticCodes.InvalidEnumValue).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReadsTheThresholdsReadWithMeaning_BetweenZeroAndOne()
    {
        var defaults = ManifestLoader.Load(ValidManifest, FileName, AllFilesExist).Manifest!.Retrieval;
        Assert.Equal((0.3, 0.3), (defaults.MeaningFarBelow, defaults.ClaimFarBelow));
        var text = With(Anchor, "retrieval:\n  meaning_far_below: 0.62\n  claim_far_below: 0.71\n" + Anchor);
        var read = ManifestLoader.Load(text, FileName, AllFilesExist).Manifest!.Retrieval;
        Assert.Equal((0.62, 0.71), (read.MeaningFarBelow, read.ClaimFarBelow));

        var wrong = With(Anchor, "retrieval:\n  meaning_far_below: 1.5\n" + Anchor);
        var result = ManifestLoader.Load(wrong, FileName, AllFilesExist);
        AssertAt(Single(result, DiagnosticCodes.OutOfRange), Locate(wrong, "1.5"));
    }
}
