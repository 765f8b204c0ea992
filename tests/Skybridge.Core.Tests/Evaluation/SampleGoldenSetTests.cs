using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using Skybridge.Core.Tests.Manifests;

namespace Skybridge.Core.Tests.Evaluation;

/// <summary>The support-desk sample's golden set is a valid contract: it loads without a problem, is big enough for
/// per-tag bars, and every action it expects is one the sample manifest declares, with values its schema accepts.</summary>
public sealed class SampleGoldenSetTests
{
    private static string Sample => Path.Combine(ManifestTestSupport.RepoRoot(), "samples", "support-desk");

    [Fact]
    public void SampleGoldenSet_Loads_WithoutAProblem_AndCoversEveryTagItUsesWithTenCases()
    {
        var result = GoldenSetLoader.Load(File.ReadAllBytes(Path.Combine(Sample, "golden-set.yaml")), "golden-set.yaml");

        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        var set = result.GoldenSet!;
        Assert.True(set.Cases.Count >= 150, $"{set.Cases.Count} cases");
        foreach (var tag in set.Cases.SelectMany(c => c.Tags).Distinct())
        {
            Assert.True(set.Cases.Count(c => c.HasTag(tag)) >= 10, $"tag {tag} has fewer than 10 cases");
        }
    }

    [Fact]
    public void SampleGoldenSet_ExpectsOnlyActionsTheSampleDeclares()
    {
        var manifest = ManifestLoader.Load(File.ReadAllText(Path.Combine(Sample, "manifest.yaml")), "manifest.yaml", new ManifestValidationContext { FileExists = _ => true }).Manifest!;
        var set = GoldenSetLoader.Load(File.ReadAllBytes(Path.Combine(Sample, "golden-set.yaml")), "golden-set.yaml").GoldenSet!;

        foreach (var c in set.Cases)
        {
            foreach (var expected in c.Expect.Actions)
            {
                var action = manifest.FindAction(expected.Action);
                Assert.True(action is not null, $"{c.Id} expects '{expected.Action}', which the manifest does not declare");
                Assert.All(expected.Parameters.Keys, p => Assert.True(action!.FindParameter(p) is not null, $"{c.Id}: '{expected.Action}' has no parameter '{p}'"));
            }

            Assert.All(c.Expect.NoActions, a => Assert.True(manifest.FindAction(a) is not null, $"{c.Id} forbids '{a}', which the manifest does not declare"));
        }
    }
}
