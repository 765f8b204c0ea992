using System.Text.Json;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge ask MANIFEST</c> with retrieval by meaning: the vector cache folder, and a model that fails.</summary>
[Collection("session-environment")]
public sealed class AskEmbeddingTests
{
    [Fact]
    public async Task Ask_WithAModelThatFailsToLoad_AnswersByWords_WithOneWarning()
    {
        var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, "How long does a refund take?", "--json", "--embedding-model", "/models/corrupt-minilm.onnx");

        Assert.True(run.ExitCode == 0, run.Error);
        using var draft = JsonDocument.Parse(run.Output);
        Assert.False(draft.RootElement.GetProperty("abstained").GetBoolean());
        Assert.Equal("words", draft.RootElement.GetProperty("retrieval").GetString());
        var warning = Assert.Single(run.Error.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Contains("/models/corrupt-minilm.onnx", warning, StringComparison.Ordinal);
        Assert.Contains("words only", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_TwiceOnAnUnchangedCorpus_KeepsTheVectorsInTheCacheFolder()
    {
        var cache = Path.Combine(Path.GetTempPath(), "skybridge-cache-" + Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string> { ["SKYBRIDGE_CACHE"] = cache };
        try
        {
            var first = await CliRun.RunWithEnvironmentAsync(environment, "ask", CliRun.SampleManifest, "How long does a refund take?", "--json");
            Assert.True(first.ExitCode == 0, first.Error);
            using var draft = JsonDocument.Parse(first.Output);
            Assert.Equal("fused", draft.RootElement.GetProperty("retrieval").GetString());
            var file = Assert.Single(Directory.GetFiles(Path.Combine(cache, "vectors")));
            var size = new FileInfo(file).Length;
            Assert.True(size > 0);

            var second = await CliRun.RunWithEnvironmentAsync(environment, "ask", CliRun.SampleManifest, "Can I change my delivery address?", "--json");

            Assert.True(second.ExitCode == 0, second.Error);
            // Nothing new to keep: every passage's vector was already there.
            Assert.Equal(size, new FileInfo(file).Length);
            Assert.DoesNotContain("warning:", second.Error, StringComparison.Ordinal);
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
    public async Task Ask_OverALargeCorpusTheFirstTime_SaysItIsEmbeddingAndWhenItIsDone_AndNotTheSecondTime()
    {
        var root = CliRun.NewDataFolder();
        var cache = Path.Combine(root, "cache");
        var environment = new Dictionary<string, string> { ["SKYBRIDGE_CACHE"] = cache };
        try
        {
            // The sample with 1,200 short notes more: enough passages that a first run embeds for a while.
            var sample = Path.Combine(root, "sample");
            CliRun.CopySample(sample);
            var notes = Path.Combine(sample, "knowledge-base", "notes");
            Directory.CreateDirectory(notes);
            var run = Guid.NewGuid().ToString("N")[..8];
            for (var i = 0; i < 1_200; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(notes, $"note-{i}.md"), $"Depot note {run}-{i}: route {i} leaves depot {i % 37} at {i % 24}:00.\n", TestContext.Current.CancellationToken);
            }

            var manifest = Path.Combine(sample, "manifest.yaml");
            var first = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--json");
            var second = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--json");

            Assert.True(first.ExitCode == 0, first.Error);
            var lines = first.Error.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("Embedding ", StringComparison.Ordinal) && l.Contains("passages for retrieval by meaning", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("passages embedded in", StringComparison.Ordinal));
            Assert.True(second.ExitCode == 0, second.Error);
            Assert.DoesNotContain("Embedding", second.Error, StringComparison.Ordinal);
            using var draft = JsonDocument.Parse(second.Output);
            Assert.Equal("fused", draft.RootElement.GetProperty("retrieval").GetString());
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Ask_OnAManifestDeclaringAnEndpoint_RetrievesByItsVectors_UnlessTheCommandRunsWordsOnly()
    {
        await using var server = await Skybridge.Grounding.Tests.LocalEmbeddingServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("skybridge-declared-embedding-").FullName;
        var cache = Path.Combine(folder, ".cache");
        var environment = new Dictionary<string, string> { ["SKYBRIDGE_CACHE"] = cache };
        try
        {
            CliRun.CopySample(folder);
            var manifest = Path.Combine(folder, "manifest.yaml");
            var yaml = await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken);
            Assert.Contains("  top_k: 5\n", yaml, StringComparison.Ordinal);
            await File.WriteAllTextAsync(manifest, yaml.Replace("  top_k: 5\n",
                $"  top_k: 5\n  embedding: {{ provider: openai-compatible, endpoint: \"{server.Endpoint}\", model: minilm-served, dimensions: 384, trains_on_data: false }}\n",
                StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var wordsOnly = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--json", "--embedding-model", "none");

            Assert.True(wordsOnly.ExitCode == 0, wordsOnly.Error);
            using (var draft = JsonDocument.Parse(wordsOnly.Output))
            {
                Assert.Equal("words", draft.RootElement.GetProperty("retrieval").GetString());
            }

            Assert.Empty(server.Texts);

            var declared = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "How long does a refund take?", "--json");

            Assert.True(declared.ExitCode == 0, declared.Error);
            using (var draft = JsonDocument.Parse(declared.Output))
            {
                Assert.Equal("fused", draft.RootElement.GetProperty("retrieval").GetString());
                Assert.False(draft.RootElement.GetProperty("abstained").GetBoolean());
            }

            Assert.DoesNotContain("warning:", declared.Error, StringComparison.Ordinal);
            Assert.Contains("How long does a refund take?", server.Texts);
            Assert.True(server.Texts.Count > 100, $"{server.Texts.Count} texts: the passages were not embedded by the endpoint");
            // The endpoint's vectors are kept: a second question embeds itself and its answer's claims (to check their
            // support), no passage again.
            var sent = server.Texts.Count;
            var again = await CliRun.RunWithEnvironmentAsync(environment, "ask", manifest, "Can I change my delivery address?", "--json");
            Assert.True(again.ExitCode == 0, again.Error);
            Assert.Contains("Can I change my delivery address?", server.Texts.Skip(sent));
            Assert.InRange(server.Texts.Count - sent, 1, 6);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
