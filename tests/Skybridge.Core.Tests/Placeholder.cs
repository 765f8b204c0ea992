namespace Skybridge.Core.Tests;

public sealed class AutonomyLevelTests
{
    [Theory]
    [InlineData("L0-draft")]
    [InlineData("L1-approve-all")]
    [InlineData("L2-approve-consequential")]
    public void TryParse_RoundTrips_ManifestNames(string name)
    {
        Assert.True(Skybridge.Core.Manifests.AutonomyLevels.TryParse(name, out var level));
        Assert.Equal(name, Skybridge.Core.Manifests.AutonomyLevels.ToManifestName(level));
    }
}
