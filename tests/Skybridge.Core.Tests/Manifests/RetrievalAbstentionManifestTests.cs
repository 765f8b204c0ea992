using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

public sealed class RetrievalAbstentionManifestTests
{
    [Fact]
    public void Load_ReadsMentionedBelow_AndDefaultsItToATenth()
    {
        var set = ManifestLoader.Load(ValidManifest + "\nretrieval:\n  top_k: 5\n  mentioned_below: 0.05\n", FileName, AllFilesExist);
        Assert.True(set.IsValid, string.Join('\n', set.Diagnostics));
        Assert.Equal(0.05, set.Manifest!.Retrieval.MentionedBelow);

        var unset = ManifestLoader.Load(ValidManifest, FileName, AllFilesExist);
        Assert.Equal(0.1, unset.Manifest!.Retrieval.MentionedBelow);
    }

    [Fact]
    public void Load_RejectsMentionedBelowOutsideZeroToOne()
    {
        var result = ManifestLoader.Load(ValidManifest + "\nretrieval:\n  mentioned_below: 2\n", FileName, AllFilesExist);
        Assert.False(result.IsValid);
    }
}
