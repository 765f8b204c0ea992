using System.Text;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using Skybridge.Core.Tests.Manifests;

namespace Skybridge.Core.Tests.Evaluation;

/// <summary>
/// <c>skybridge eval pin</c>'s rule: the pin follows the reviewed cases, only the pin changes in the manifest's text,
/// and a manifest with any other problem is not touched.
/// </summary>
public sealed class GoldenSetPinTests
{
    private static readonly string SampleManifest = File.ReadAllText(Path.Combine(ManifestTestSupport.RepoRoot(), "samples", "support-desk", "manifest.yaml"));

    private static readonly byte[] Cases = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(ManifestTestSupport.RepoRoot(), "samples", "support-desk", "golden-set.yaml")) + "\n# one more reviewed line\n");

    private static readonly string CasesHash = GoldenSetLoader.ComputeHash(Cases);

    private static byte[]? Files(string path) => path == "golden-set.yaml" ? Cases : null;

    private static ManifestLoadResult Validate(string text) =>
        ManifestLoader.Load(text, "manifest.yaml", new ManifestValidationContext { FileExists = p => Files(p) is not null, ReadFile = Files });

    [Fact]
    public void Pin_ChangedCases_RewritesOnlyThePin_AndTheManifestValidatesAgain()
    {
        Assert.Contains(Validate(SampleManifest).Diagnostics, d => d.Code == DiagnosticCodes.GoldenSetHashMismatch);

        var pinned = GoldenSetPin.Pin(SampleManifest, "manifest.yaml", Files);

        Assert.True(pinned.Changed);
        Assert.Equal(("golden-set.yaml", CasesHash), (pinned.Path, pinned.After));
        Assert.Matches("^[0-9a-f]{64}$", pinned.Before);
        var before = SampleManifest.Split('\n');
        var after = pinned.Text!.Split('\n');
        Assert.Equal(before.Length, after.Length);
        var changed = Assert.Single(Enumerable.Range(0, before.Length), i => before[i] != after[i]);
        Assert.Equal(before[changed].Replace(pinned.Before!, CasesHash, StringComparison.Ordinal), after[changed]);
        var reloaded = Validate(pinned.Text);
        Assert.True(reloaded.Manifest is not null, string.Join("\n", reloaded.Diagnostics));
        Assert.Equal(CasesHash, reloaded.Manifest.GoldenSetSha256);
    }

    [Fact]
    public void Pin_AnUnpinnedPath_BecomesAPathWithItsPin_KeepingItsComment()
    {
        var text = Golden("golden_set: golden-set.yaml   # the reviewed cases");

        var pinned = GoldenSetPin.Pin(text, "manifest.yaml", Files);

        Assert.Null(pinned.Before);
        Assert.Contains($"golden_set: {{ path: golden-set.yaml, sha256: {CasesHash} }}   # the reviewed cases", pinned.Text, StringComparison.Ordinal);
        Assert.Equal(CasesHash, Validate(pinned.Text!).Manifest?.GoldenSetSha256);
    }

    [Fact]
    public void Pin_ABlockMappingWithoutAPin_GetsASha256LineUnderItsPath()
    {
        var text = Golden("golden_set:\n  path: \"golden-set.yaml\"");

        var pinned = GoldenSetPin.Pin(text, "manifest.yaml", Files);

        Assert.Contains($"golden_set:\n  path: \"golden-set.yaml\"\n  sha256: {CasesHash}\n", pinned.Text, StringComparison.Ordinal);
        Assert.Equal(CasesHash, Validate(pinned.Text!).Manifest?.GoldenSetSha256);
    }

    [Fact]
    public void Pin_AFlowMappingWithoutAPin_GetsTheSha256AfterItsPath()
    {
        var pinned = GoldenSetPin.Pin(Golden("golden_set: { path: golden-set.yaml }"), "manifest.yaml", Files);

        Assert.Contains($"golden_set: {{ path: golden-set.yaml, sha256: {CasesHash} }}", pinned.Text, StringComparison.Ordinal);
        Assert.Equal(CasesHash, Validate(pinned.Text!).Manifest?.GoldenSetSha256);
    }

    [Fact]
    public void Pin_PinnedAlready_ChangesNothing()
    {
        var text = GoldenSetPin.Pin(SampleManifest, "manifest.yaml", Files).Text!;

        var again = GoldenSetPin.Pin(text, "manifest.yaml", Files);

        Assert.False(again.Changed);
        Assert.Equal(text, again.Text);
    }

    [Fact]
    public void Pin_AManifestWithAnotherProblem_IsRefusedWithEveryProblemLocated()
    {
        var text = SampleManifest.Replace("autonomy:", "autonomy_typo: 1\nautonomy:", StringComparison.Ordinal);

        var pinned = GoldenSetPin.Pin(text, "manifest.yaml", Files);

        Assert.Null(pinned.Text);
        var problem = Assert.Single(pinned.Problems);
        Assert.Equal(DiagnosticCodes.UnknownKey, problem.Code);
        Assert.True(problem.Location.Line > 1);
    }

    [Fact]
    public void Pin_TheCasesFileMissing_IsRefused()
    {
        var pinned = GoldenSetPin.Pin(SampleManifest, "manifest.yaml", _ => null);

        Assert.Null(pinned.Text);
        Assert.Equal(DiagnosticCodes.GoldenSetNotFound, Assert.Single(pinned.Problems).Code);
    }

    [Fact]
    public void Pin_NoGoldenSet_SaysSo()
    {
        var text = string.Join('\n', SampleManifest.Split('\n').Where(l => !l.StartsWith("golden_set:", StringComparison.Ordinal)));

        var pinned = GoldenSetPin.Pin(text, "manifest.yaml", Files);

        Assert.True(pinned.NoGoldenSet, string.Join("\n", pinned.Problems));
        Assert.Null(pinned.Text);
    }

    /// <summary>The sample with its golden_set line replaced by <paramref name="golden"/>.</summary>
    private static string Golden(string golden) =>
        string.Join('\n', SampleManifest.Split('\n').Select(l => l.StartsWith("golden_set:", StringComparison.Ordinal) ? golden : l));
}
