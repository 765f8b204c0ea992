using Skybridge.Application.Grounding;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Application.Tests.Grounding;

/// <summary>
/// <c>skybridge ask MANIFEST</c>'s cache of read documents and their words index: used while the files are unchanged,
/// never once a file changed, and a damaged entry is built again with the same answer.
/// </summary>
public sealed class ManifestIndexCacheTests : IDisposable
{
    private const string Question = "How long does a refund take?";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skybridge-index-cache-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Sample => Path.Combine(_root, "sample");

    private string Cache => Path.Combine(_root, "cache");

    public ManifestIndexCacheTests()
    {
        // A copy of the sample: the tests change its files.
        var from = Path.Combine(TestStore.RepoRoot, "samples", "support-desk");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(Sample, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private WorkflowManifest Manifest()
    {
        var loaded = ManifestLoader.Load(File.ReadAllText(Path.Combine(Sample, "manifest.yaml")), "manifest.yaml",
            new ManifestValidationContext { FileExists = p => File.Exists(Path.Combine(Sample, p)), EvidencedLevel = AutonomyLevel.L2ApproveConsequential });
        Assert.NotNull(loaded.Manifest);
        return loaded.Manifest;
    }

    private async Task<IndexOrigin> OpenAsync()
    {
        var (index, origin) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, _) => { }, dense: null, Ct);
        index.Dispose();
        return origin;
    }

    private async Task<(string Answer, List<string> Phases)> AskAsync()
    {
        var phases = new List<string>();
        var draft = await ManifestAnswers.AnswerAsync(Manifest(), Sample, Question, (_, _) => { }, Ct, dense: null, phases.Add, Cache);
        return (draft.Answer, phases);
    }

    private string Entry => Assert.Single(Directory.GetDirectories(Cache));

    [Fact]
    public async Task OpenAsync_UsesTheCache_WhenNothingChanged()
    {
        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        var written = Directory.GetLastWriteTimeUtc(Entry);

        Assert.Equal(IndexOrigin.Cached, await OpenAsync());
        Assert.Equal(written, Directory.GetLastWriteTimeUtc(Entry));
    }

    [Fact]
    public async Task AnswerAsync_AnswersTheSame_FromTheCache()
    {
        var first = await AskAsync();
        var second = await AskAsync();

        Assert.Contains("read documents and index them", first.Phases);
        Assert.Contains("documents and index (cached)", second.Phases);
        Assert.Contains("14 days", second.Answer, StringComparison.Ordinal);
        Assert.Equal(first.Answer, second.Answer);
    }

    [Fact]
    public async Task AnswerAsync_AnswersFromTheChangedFile_WhenAFileChanged()
    {
        var before = await AskAsync();
        Assert.Contains("14 days", before.Answer, StringComparison.Ordinal);
        var article = Path.Combine(Sample, "knowledge-base", "returns", "refund-timeline.md");
        await File.WriteAllTextAsync(article, (await File.ReadAllTextAsync(article, Ct)).Replace("within 14 days", "within 19 days", StringComparison.Ordinal), Ct);

        var after = await AskAsync();

        Assert.Contains("read documents and index them", after.Phases);
        Assert.Contains("19 days", after.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("14 days", after.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_BuildsAgain_WhenAFileIsAdded()
    {
        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        await File.WriteAllTextAsync(Path.Combine(Sample, "knowledge-base", "returns", "gift-cards.md"), "# Gift cards\n\nGift cards are refunded as store credit.\n", Ct);

        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        var (index, origin) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, _) => { }, dense: null, Ct);
        using (index)
        {
            Assert.Equal(IndexOrigin.Cached, origin);
            Assert.Contains(index.Documents.Keys, k => k.EndsWith("returns/gift-cards.md", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("words")]
    [InlineData("documents.json")]
    [InlineData("checksums")]
    public async Task AnswerAsync_IgnoresADamagedEntry_AndAnswersTheSame(string damaged)
    {
        var first = await AskAsync();
        var path = Path.Combine(Entry, damaged);
        if (Directory.Exists(path))
        {
            // A byte flipped in the middle of the largest index file: Lucene itself may not notice.
            var largest = new DirectoryInfo(path).GetFiles().OrderByDescending(f => f.Length).First().FullName;
            var bytes = await File.ReadAllBytesAsync(largest, Ct);
            bytes[bytes.Length / 2] ^= 0x5a;
            await File.WriteAllBytesAsync(largest, bytes, Ct);
        }
        else
        {
            await File.WriteAllTextAsync(path, "{ not what was written", Ct);
        }

        var second = await AskAsync();
        var third = await AskAsync();

        Assert.Contains("read documents and index them", second.Phases);
        Assert.Equal(first.Answer, second.Answer);
        Assert.Contains("documents and index (cached)", third.Phases);
        Assert.Equal(first.Answer, third.Answer);
    }

    [Fact]
    public async Task AnswerAsync_BuildsAgainAndAnswersTheSame_WhenTheEntryIsOfTheLayoutBeforeTheSourceProfile()
    {
        var first = await AskAsync();
        // The entry as the build before wrote it: words, documents and checksums, no source profile.
        File.Delete(Path.Combine(Entry, "profile.json"));
        await RewriteChecksumsAsync(Entry);

        var second = await AskAsync();
        var third = await AskAsync();

        Assert.Contains("read documents and index them", second.Phases);
        Assert.Equal(first.Answer, second.Answer);
        Assert.True(File.Exists(Path.Combine(Entry, "profile.json")));
        Assert.Contains("documents and index (cached)", third.Phases);
        Assert.Equal(first.Answer, third.Answer);
    }

    [Theory]
    [InlineData("{\"Format\":1,\"Summary\":null}")]
    [InlineData("{\"Format\":1}")]
    [InlineData("{}")]
    public async Task OpenAsync_BuildsAgain_WhenTheProfileIsOfAnotherLayout(string profile)
    {
        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        await File.WriteAllTextAsync(Path.Combine(Entry, "profile.json"), profile, Ct);
        await RewriteChecksumsAsync(Entry);

        Assert.Equal(IndexOrigin.Rebuilt, await OpenAsync());
        Assert.Equal(IndexOrigin.Cached, await OpenAsync());
    }

    [Fact]
    public async Task OpenAsync_BuildsAgain_WhenTheKeptProfileIsOfOtherDocuments()
    {
        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        // A whole entry whose profile names other document versions (checksums right): the profile is never taken.
        var path = Path.Combine(Entry, "profile.json");
        var profile = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path, Ct))!;
        profile["Summary"]!["Versions"] = "another" + profile["Summary"]!["Versions"]!.GetValue<string>();
        await File.WriteAllTextAsync(path, profile.ToJsonString(), Ct);
        await RewriteChecksumsAsync(Entry);

        Assert.Equal(IndexOrigin.Rebuilt, await OpenAsync());
    }

    [Fact]
    public async Task OpenAsync_KeepsAFreshSourceProfile_WhenTheCorpusChanges()
    {
        var (before, _) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, _) => { }, dense: null, Ct);
        var kept = SourceSummary.Of(before);
        before.Dispose();
        Assert.DoesNotContain("zeppelin", kept.Vocabulary);
        await File.WriteAllTextAsync(Path.Combine(Sample, "knowledge-base", "returns", "airships.md"), "# Airships\n\nA zeppelin delivery is refunded as store credit.\n", Ct);

        var (built, builtOrigin) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, _) => { }, dense: null, Ct);
        built.Dispose();
        var (cached, cachedOrigin) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, _) => { }, dense: null, Ct);
        using (cached)
        {
            Assert.Equal(IndexOrigin.Built, builtOrigin);
            Assert.Equal(IndexOrigin.Cached, cachedOrigin);
            // The profile the cached index answers with is the changed corpus's, the same as one computed from its documents.
            var summary = SourceSummary.Of(cached);
            Assert.Contains("zeppelin", summary.Vocabulary);
            Assert.NotEqual(kept.Versions, summary.Versions);
            using var fresh = new PassageIndex(dense: null);
            fresh.Upsert(cached.Documents.Values);
            var computed = SourceSummary.Of(fresh);
            Assert.Equal(computed.Versions, summary.Versions);
            Assert.Equal(computed.Vocabulary, summary.Vocabulary);
            Assert.Equal((string.Join(",", computed.Languages!), computed.Subject, computed.SubjectDocuments), (string.Join(",", summary.Languages!), summary.Subject, summary.SubjectDocuments));
        }
    }

    // Checksums written again over the entry's files as they are now, so only the layout differs, not the checksums.
    private static async Task RewriteChecksumsAsync(string entry)
    {
        var lines = Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(entry, f).Replace('\\', '/'))
            .Where(f => f != "checksums")
            .Order(StringComparer.Ordinal)
            .Select(f => f + " " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(entry, f)))));
        await File.WriteAllLinesAsync(Path.Combine(entry, "checksums"), lines, Ct);
    }

    [Fact]
    public async Task OpenAsync_ReportsSkippedFiles_FromTheCacheToo()
    {
        await File.WriteAllBytesAsync(Path.Combine(Sample, "knowledge-base", "returns", "label.bin"), [0, 1, 2, 0, 255], Ct);
        var links = string.Concat(Enumerable.Range(0, 60).Select(i => $"<li><a href=\"page{i}.html\">article number {i}</a></li>"));
        await File.WriteAllTextAsync(Path.Combine(Sample, "knowledge-base", "sitemap.html"), $"<html><body><ul>{links}</ul></body></html>", Ct);
        var skipped = new List<SkippedFile>[] { [], [] };
        for (var run = 0; run < 2; run++)
        {
            var list = skipped[run];
            var (index, _) = await ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, file) => list.Add(file), dense: null, Ct);
            index.Dispose();
        }

        Assert.NotEmpty(skipped[0]);
        Assert.Equal(skipped[0], skipped[1]);
        // Whether the reader left a page out on purpose is kept with the cached entry too.
        Assert.Contains(skipped[1], s => s.Path == "sitemap.html" && s.LeftOutOnPurpose);
        Assert.Contains(skipped[1], s => s.Path == "returns/label.bin" && !s.LeftOutOnPurpose);
    }

    [Fact]
    public async Task OpenAsync_KeepsTheEntriesUsedMostRecently_AndDeletesTheRest()
    {
        // Entries of earlier builds and corpora, each last used an hour further back.
        var now = DateTime.UtcNow;
        var earlier = Enumerable.Range(1, 20).Select(i => (Key: OtherKey(i), Used: now.AddHours(-i))).ToList();
        foreach (var (key, used) in earlier)
        {
            Directory.CreateDirectory(Path.Combine(Cache, key));
            await File.WriteAllBytesAsync(Path.Combine(Cache, key, "documents.json"), [], Ct);
            await File.WriteAllBytesAsync(Path.Combine(Cache, key + ".used"), [], Ct);
            File.SetLastWriteTimeUtc(Path.Combine(Cache, key + ".used"), used);
        }

        Assert.Equal(IndexOrigin.Built, await OpenAsync());

        var ours = ManifestIndexCache.Key(Manifest(), Sample);
        var kept = Directory.GetDirectories(Cache).Select(Path.GetFileName).ToList();
        Assert.Equal(ManifestIndexCache.EntriesKept, kept.Count);
        Assert.Contains(ours, kept);
        Assert.Equal(earlier.Take(ManifestIndexCache.EntriesKept - 1).Select(e => e.Key).Order(), kept.Where(k => k != ours).Order());
        Assert.Equal(kept.Select(k => k + ".used").Order(), Directory.GetFiles(Cache).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task OpenAsync_AnEntryUsedFromTheCache_OutlivesEntriesWrittenAfterIt()
    {
        Assert.Equal(IndexOrigin.Built, await OpenAsync());
        var ours = ManifestIndexCache.Key(Manifest(), Sample);
        File.SetLastWriteTimeUtc(Path.Combine(Cache, ours + ".used"), DateTime.UtcNow.AddDays(-30));
        foreach (var i in Enumerable.Range(1, ManifestIndexCache.EntriesKept))
        {
            Directory.CreateDirectory(Path.Combine(Cache, OtherKey(i)));
            Directory.SetLastWriteTimeUtc(Path.Combine(Cache, OtherKey(i)), DateTime.UtcNow.AddHours(-i));
        }

        // Used again today: marked, so the next build of another corpus keeps it over the entries written after its
        // first use.
        Assert.Equal(IndexOrigin.Cached, await OpenAsync());
        await File.WriteAllTextAsync(Path.Combine(Sample, "knowledge-base", "returns", "gift-cards.md"), "# Gift cards\n\nGift cards are refunded as store credit.\n", Ct);
        Assert.Equal(IndexOrigin.Built, await OpenAsync());

        var kept = Directory.GetDirectories(Cache).Select(Path.GetFileName).ToList();
        Assert.Equal(ManifestIndexCache.EntriesKept, kept.Count);
        Assert.Contains(ours, kept);
        Assert.DoesNotContain(OtherKey(ManifestIndexCache.EntriesKept), kept);
    }

    [Fact]
    public async Task OpenAsync_DeletesEntriesHalfWrittenByStoppedRuns_ButNotOneBeingWritten()
    {
        var stopped = Directory.CreateDirectory(Path.Combine(Cache, OtherKey(1) + ".tmp-" + Guid.NewGuid().ToString("N")));
        Directory.SetLastWriteTimeUtc(stopped.FullName, DateTime.UtcNow.AddHours(-2));
        var writing = Directory.CreateDirectory(Path.Combine(Cache, OtherKey(2) + ".tmp-" + Guid.NewGuid().ToString("N")));

        Assert.Equal(IndexOrigin.Built, await OpenAsync());

        Assert.False(Directory.Exists(stopped.FullName));
        Assert.True(Directory.Exists(writing.FullName));
    }

    /// <summary>A key of another build or corpus, as the cache names entries.</summary>
    private static string OtherKey(int i) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));

    [Fact]
    public async Task OpenAsync_ANamedPipeAmongTheSources_IsSkipped_NeverWaitedOn()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "named pipes in a folder are a Unix thing");
        // A pipe left in the folder (a tool's socket, a `mkfifo` by mistake): opening it for reading waits for a writer
        // that never comes.
        var pipe = Path.Combine(Sample, "knowledge-base", "returns", "pipe.md");
        Assert.Equal(0, MakeFifo(pipe, Convert.ToUInt32("644", 8)));
        var skipped = new List<SkippedFile>();

        var opening = Task.Run(() => ManifestIndexCache.OpenAsync(Manifest(), Sample, Cache, (_, file) => skipped.Add(file), dense: null, Ct), Ct);
        if (await Task.WhenAny(opening, Task.Delay(TimeSpan.FromSeconds(60), Ct)) != opening)
        {
            // A writer that opens and closes the pipe lets the waiting read go, so the failure does not hang the run.
            await using (new FileStream(pipe, FileMode.Open, FileAccess.Write))
            {
            }

            Assert.Fail("Reading the sources waited on the named pipe for a minute.");
        }

        var (index, origin) = await opening;

        using (index)
        {
            Assert.Equal(IndexOrigin.Built, origin);
            Assert.Contains(skipped, s => s.Path == "returns/pipe.md");
            Assert.NotEmpty(index.Search(Question, 3));
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);
}
