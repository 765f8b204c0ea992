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
        // The profile names each phase on standard error, the index's origin among them.
        var environment = new Dictionary<string, string> { ["SKYBRIDGE_CACHE"] = cache, ["SKYBRIDGE_PROFILE"] = "1" };
        try
        {
            var first = await CliRun.RunWithEnvironmentAsync(environment, "ask", CliRun.SampleManifest, "How long does a refund take?", "--json", "--embedding-model", "none");
            var second = await CliRun.RunWithEnvironmentAsync(environment, "ask", CliRun.SampleManifest, "How long does a refund take?", "--json", "--embedding-model", "none");

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
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Ask_NamesAFileItCannotRead_AndCountsPagesLeftOutOnPurpose_OnEveryRun()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-skipped-").FullName;
        var cache = Path.Combine(folder, "cache");
        var environment = new Dictionary<string, string> { ["SKYBRIDGE_CACHE"] = cache };
        try
        {
            CliRun.CopySample(folder);
            var kb = Path.Combine(folder, "knowledge-base");
            // A site map (left out on purpose, the same on every run) and a binary file (its owner has something to fix).
            var links = string.Concat(Enumerable.Range(0, 60).Select(i => $"<li><a href=\"page{i}.html\">article number {i}</a></li>"));
            await File.WriteAllTextAsync(Path.Combine(kb, "sitemap.html"), $"<html><body><h1>Site map</h1><ul>{links}</ul></body></html>", TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(kb, "returns", "label.md"), [0x89, 0x50, 0x4E, 0x47, 0x00, 0x00], TestContext.Current.CancellationToken);
            var manifest = Path.Combine(folder, "manifest.yaml");

            var first = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--embedding-model", "none");
            var cached = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--embedding-model", "none");
            var all = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--embedding-model", "none", "--show-skipped");

            foreach (var run in new[] { first, cached, all })
            {
                Assert.True(run.ExitCode == 0, run.Error);
                Assert.Contains("14 days", run.Output, StringComparison.Ordinal);
                Assert.Contains("skipped knowledge-base/returns/label.md: binary content (NUL bytes), not text", run.Error, StringComparison.Ordinal);
            }

            foreach (var run in new[] { first, cached })
            {
                Assert.DoesNotContain("sitemap.html", run.Error, StringComparison.Ordinal);
                Assert.Contains("knowledge-base: 1 page left out of retrieval on purpose (link lists or site chrome, nothing to fix); --show-skipped names it.", run.Error, StringComparison.Ordinal);
            }

            Assert.Contains("skipped knowledge-base/sitemap.html: a link list", all.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("left out of retrieval on purpose", all.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
