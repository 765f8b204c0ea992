using System.Text.Json;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge ask MANIFEST</c> keeps the read documents and their index in the cache folder while the files are unchanged.</summary>
[Collection("session-environment")]
public sealed class AskIndexCacheTests
{
    [Fact]
    public async Task Ask_TwiceOnAnUnchangedCorpus_TakesTheIndexFromTheCacheFolder()
    {
        var cache = Path.Combine(Path.GetTempPath(), "skybridge-cache-" + Guid.NewGuid().ToString("N"));
        var before = (Cache: Environment.GetEnvironmentVariable("SKYBRIDGE_CACHE"), Profile: Environment.GetEnvironmentVariable("SKYBRIDGE_PROFILE"));
        Environment.SetEnvironmentVariable("SKYBRIDGE_CACHE", cache);
        // The profile names each phase on standard error, the index's origin among them.
        Environment.SetEnvironmentVariable("SKYBRIDGE_PROFILE", "1");
        try
        {
            var first = await CliRun.RunAsync("ask", CliRun.SampleManifest, "How long does a refund take?", "--json", "--embedding-model", "none");
            var second = await CliRun.RunAsync("ask", CliRun.SampleManifest, "How long does a refund take?", "--json", "--embedding-model", "none");

            Assert.True(first.ExitCode == 0, first.Error);
            Assert.True(second.ExitCode == 0, second.Error);
            Assert.Contains("read documents and index them", first.Error, StringComparison.Ordinal);
            Assert.Contains("documents and index (cached)", second.Error, StringComparison.Ordinal);
            Assert.Single(Directory.GetDirectories(Path.Combine(cache, "indexes")));
            using var a = JsonDocument.Parse(first.Output);
            using var b = JsonDocument.Parse(second.Output);
            Assert.Equal(a.RootElement.GetProperty("answer").GetString(), b.RootElement.GetProperty("answer").GetString());
            Assert.Contains("14 days", b.RootElement.GetProperty("answer").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SKYBRIDGE_CACHE", before.Cache);
            Environment.SetEnvironmentVariable("SKYBRIDGE_PROFILE", before.Profile);
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }
    }
}
