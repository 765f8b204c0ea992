using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

public sealed class AcceptanceBarManifestTests
{
    [Fact]
    public void Load_ReadsTagConfidenceAndMinCases_WithDefaultsForTodaysItems()
    {
        var text = With("    min: 0.9\n", "    min: 0.9\n  - { metric: harmful_action_rate, max: 0.01, tag: refund-large, confidence: 0.99, min_cases: 40 }\n");

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        Assert.Empty(result.Diagnostics);
        var bar = result.Manifest!.AcceptanceBar;
        Assert.Equal((Metrics.AnswerAccuracy, (string?)null, 0.95, 30), (bar[0].Metric, bar[0].Tag, bar[0].Confidence, bar[0].MinCases));
        Assert.Equal((Metrics.HarmfulActionRate, "refund-large", 0.99, 40, 0.01), (bar[1].Metric, bar[1].Tag, bar[1].Confidence, bar[1].MinCases, bar[1].Max));
    }

    [Fact]
    public void Load_SuggestsNearestMetric_WhenMetricIsUnknown()
    {
        var result = ManifestLoader.Load(With("  - metric: answer_accuracy", "  - metric: answer_acuracy"), FileName, AllFilesExist);

        Assert.Equal("answer_accuracy", Single(result, "SB1150").Suggestion);
    }

    [Fact]
    public void Load_AcceptsPinnedGoldenSet_WhenHashMatches_AndSkipsTheCheckWithoutAReader()
    {
        var bytes = "version: 1\n"u8.ToArray();
        var hash = GoldenSetLoader.ComputeHash(bytes);
        var text = With("golden_set: golden-set.yaml", $"golden_set:\n  path: golden-set.yaml\n  sha256: {hash.ToUpperInvariant()}");

        var read = ManifestLoader.Load(text, FileName, AllFilesExist with { ReadFile = path => path == "golden-set.yaml" ? bytes : null });
        var unread = ManifestLoader.Load(text.Replace(hash.ToUpperInvariant(), new string('a', 64), StringComparison.Ordinal), FileName, AllFilesExist);

        Assert.Empty(read.Diagnostics);
        Assert.Equal(("golden-set.yaml", hash), (read.Manifest!.GoldenSet, read.Manifest.GoldenSetSha256));
        Assert.Empty(unread.Diagnostics);
    }

    [Fact]
    public void Load_ReportsMissingFileOnce_WhenPinnedGoldenSetDoesNotExist()
    {
        var text = With("golden_set: golden-set.yaml", $"golden_set: {{ path: golden.yaml, sha256: {new string('a', 64)} }}");

        var result = ManifestLoader.Load(text, FileName, new ManifestValidationContext { FileExists = _ => false, ReadFile = _ => null });

        Assert.Equal("SB1303", Assert.Single(result.Diagnostics).Code);
    }
}
