using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Application.Grounding;

/// <summary>How <see cref="ManifestIndexCache.OpenAsync"/> got its index.</summary>
public enum IndexOrigin
{
    /// <summary>Read and indexed now (no cache, or nothing cached for this content).</summary>
    Built,

    /// <summary>From the cache: the same files, settings and engine as a previous run.</summary>
    Cached,

    /// <summary>The cached copy was damaged or did not match; read and indexed now, and cached again.</summary>
    Rebuilt,
}

/// <summary>
/// The documents read from a manifest's sources and their words index (BM25), kept in a folder between runs of
/// <c>skybridge ask MANIFEST</c>, keyed by a SHA-256 of every file's path and bytes under each source folder, each source's
/// declaration, and the engine's build (the reader's and the index's assemblies): a changed, added or removed file, a
/// changed source or a new build is a new key, so a stale index is never used. Vectors are cached apart, per passage
/// (<see cref="FolderVectorCache"/>). The documents' source profile (<see cref="SourceSummary"/>: their terms, language,
/// subject) is kept in the entry too, so an unchanged corpus does not compute it again. Every cached file's SHA-256 is
/// checked on load: a damaged entry, or one of another layout (an entry without its profile, as an earlier build wrote
/// them), is deleted and built again, never used and never a crash. Only a cache: deleting the folder costs one slower run.
/// The folder keeps the <see cref="EntriesKept"/> entries used most recently (each entry's use is marked beside it, in
/// <c>&lt;key&gt;.used</c>, so that the entry itself is never written again): every build of Skybridge and every change
/// of a corpus is a new key, so without a bound the folder would grow by an entry for each. Entries half written by a run
/// that was stopped are deleted once they are an hour old.
/// </summary>
public static class ManifestIndexCache
{
    // Part of every key: a change of this layout makes old entries unreachable rather than misread.
    // 2: the entry holds the source profile (profile.json); an entry of layout 1 has none and is never taken for one.
    // 3: the words folder holds each passage's span and digest beside Lucene's files (PassageIndex.SaveWords).
    private const string Layout = "skybridge-manifest-index/3";
    // Written inside profile.json as well: an entry found under a key without its profile, or with another layout's, is built again.
    private const int ProfileFormat = 3;
    private const string DocumentsFile = "documents.json";
    private const string ChecksumsFile = "checksums";
    private const string WordsFolder = "words";
    private const string ProfileFile = "profile.json";
    private const string UsedSuffix = ".used";

    /// <summary>How many entries the folder keeps: those used most recently (a few MB each for the samples).</summary>
    internal const int EntriesKept = 16;

    // A half-written entry older than this was left by a run that stopped; a younger one may still be being written.
    private static readonly TimeSpan LeftOverAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// The index of <paramref name="manifest"/>'s sources under <paramref name="manifestFolder"/>: from
    /// <paramref name="cacheFolder"/> when the content is unchanged, else read and indexed (and then cached). Skipped files
    /// are reported to <paramref name="skipped"/> either way.
    /// </summary>
    public static async Task<(PassageIndex Index, IndexOrigin Origin)> OpenAsync(WorkflowManifest manifest, string manifestFolder, string? cacheFolder,
        Action<string, SkippedFile> skipped, DenseRetrieval? dense, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(skipped);
        var entry = cacheFolder is null ? null : Path.Combine(cacheFolder, Key(manifest, manifestFolder));
        var origin = IndexOrigin.Built;
        if (entry is not null && Directory.Exists(entry))
        {
            if (TryRestore(entry, dense) is { } restored)
            {
                foreach (var s in restored.Skipped)
                {
                    skipped(s.Source, new SkippedFile(s.Path, s.Reason, s.LeftOutOnPurpose));
                }

                MarkUsed(entry);
                await restored.Index.EmbedPendingAsync(cancellationToken).ConfigureAwait(false);
                return (restored.Index, IndexOrigin.Cached);
            }

            origin = IndexOrigin.Rebuilt;
            TryDelete(entry);
        }

        var documents = new List<SourceDocument>();
        var skippedFiles = new List<CachedSkip>();
        foreach (var source in manifest.Sources)
        {
            var report = DocumentReader.ReadSource(source, Path.Combine(manifestFolder, source.Path));
            documents.AddRange(report.Documents);
            foreach (var file in report.Skipped)
            {
                skippedFiles.Add(new CachedSkip(source.Name, file.Path, file.Reason, file.LeftOutOnPurpose));
                skipped(source.Name, file);
            }
        }

        var index = new PassageIndex(dense);
        try
        {
            index.Upsert(documents);
            if (entry is not null && TrySave(entry, index, new CachedDocuments(documents, skippedFiles)))
            {
                MarkUsed(entry);
                Prune(cacheFolder!);
            }

            // Vectors come from their own cache for every passage seen before: an unchanged corpus embeds nothing.
            await index.EmbedPendingAsync(cancellationToken).ConfigureAwait(false);
            return (index, origin);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>The cache key: what the index is derived from, hashed.</summary>
    internal static string Key(WorkflowManifest manifest, string manifestFolder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        Add(Layout);
        // The engine's build: a new reader or index (or a new field of a document) never reads an old entry.
        foreach (var assembly in new[] { typeof(WorkflowManifest).Assembly, typeof(PassageIndex).Assembly, typeof(ManifestIndexCache).Assembly })
        {
            Add(assembly.ManifestModule.ModuleVersionId.ToString("N"));
        }

        foreach (var source in manifest.Sources)
        {
            Add(source.Name);
            Add(source.Path);
            Add(string.Join('\n', source.Formats));
            Add(source.Classification.ToString());
            var root = Path.GetFullPath(Path.Combine(manifestFolder, source.Path));
            if (!Directory.Exists(root))
            {
                Add("(missing)");
                continue;
            }

            // Every file, hidden ones too: more than the reader reads, so any change the reader could see changes the key.
            // A link to a folder is named, never followed, as the reader does.
            foreach (var (file, folderLink) in DocumentReader.SourceEntries(root, skip: 0))
            {
                Add(Path.GetRelativePath(root, file));
                if (folderLink)
                {
                    Add("(folder link)");
                    continue;
                }

                try
                {
                    // Never opened when the reader goes by the length alone: an empty file has no bytes to hash, and a
                    // named pipe or a device (which report no length either) would block the read for ever; a file over
                    // the reader's limit is skipped for its length, so its length is all of it the reader sees.
                    var length = new FileInfo(file).Length;
                    if (length == 0 || length > DocumentReader.MaxFileBytes)
                    {
                        Add(length.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        continue;
                    }

                    var bytes = File.ReadAllBytes(file);
                    Add(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    hash.AppendData(bytes);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Unreadable now: the reader will skip it; the key must differ from a run that could read it.
                    Add("(unreadable)");
                }
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static (PassageIndex Index, IReadOnlyList<CachedSkip> Skipped)? TryRestore(string entry, DenseRetrieval? dense)
    {
        try
        {
            if (!ChecksumsMatch(entry))
            {
                return null;
            }

            var cached = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(entry, DocumentsFile)), CacheJson.Default.CachedDocuments);
            if (cached?.Documents is null)
            {
                return null;
            }

            // Read before the index is restored: an entry without a profile of this layout is not used at all.
            var profile = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(entry, ProfileFile)), CacheJson.Default.CachedProfile);
            if (profile is not { Format: ProfileFormat, Summary: { } summary })
            {
                return null;
            }

            var index = PassageIndex.Restore(Path.Combine(entry, WordsFolder), cached.Documents, dense);
            if (!summary.TryGive(index))
            {
                index.Dispose();
                return null;
            }

            return (index, cached.Skipped ?? []);
        }
#pragma warning disable CA1031 // A damaged cache (bad JSON, truncated or foreign Lucene files) is rebuilt, whatever it throws.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private static bool ChecksumsMatch(string entry)
    {
        var listed = File.ReadAllLines(Path.Combine(entry, ChecksumsFile));
        var files = Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(entry, f).Replace('\\', '/'))
            .Where(f => f != ChecksumsFile)
            .Order(StringComparer.Ordinal)
            .ToList();
        return listed.Length == files.Count
            && listed.Zip(files).All(p => p.First == p.Second + " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(entry, p.Second)))));
    }

    private static bool TrySave(string entry, PassageIndex index, CachedDocuments documents)
    {
        // Written beside, then moved into place: a run that stops half-way leaves no entry a later run could take as whole.
        var temporary = entry + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            Directory.CreateDirectory(temporary);
            index.SaveWords(Path.Combine(temporary, WordsFolder));
            File.WriteAllBytes(Path.Combine(temporary, DocumentsFile), JsonSerializer.SerializeToUtf8Bytes(documents, CacheJson.Default.CachedDocuments));
            // Computed now rather than at the first question: the same work, kept for every later run.
            File.WriteAllBytes(Path.Combine(temporary, ProfileFile),
                JsonSerializer.SerializeToUtf8Bytes(new CachedProfile(ProfileFormat, SourceSummary.Of(index)), CacheJson.Default.CachedProfile));
            var lines = Directory.EnumerateFiles(temporary, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(temporary, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .Select(f => f + " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(temporary, f)))))
                .ToList();
            File.WriteAllLines(Path.Combine(temporary, ChecksumsFile), lines);
            Directory.Move(temporary, entry);
            return true;
        }
#pragma warning disable CA1031 // A cache that cannot be written (read-only, disk full, another run won the move) costs time later, nothing else.
        catch (Exception)
#pragma warning restore CA1031
        {
            TryDelete(temporary);
            return false;
        }
    }

    /// <summary>Marks <paramref name="entry"/> as used now, beside it: the entry's own files and times stay as written.</summary>
    private static void MarkUsed(string entry)
    {
        try
        {
            var marker = entry + UsedSuffix;
            if (File.Exists(marker))
            {
                File.SetLastWriteTimeUtc(marker, DateTime.UtcNow);
            }
            else
            {
                File.WriteAllBytes(marker, []);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unmarked, the entry only looks older than it is: it may be deleted sooner and built again.
        }
    }

    /// <summary>
    /// Deletes the entries of <paramref name="cacheFolder"/> beyond the <see cref="EntriesKept"/> used most recently
    /// (an entry never marked counts from when it was written), with their marks, and half-written entries left by
    /// stopped runs. Only what this cache names is touched: entries (a 64-character key), their marks and temporary
    /// folders. A run still reading an entry deleted here finds it damaged and builds it again.
    /// </summary>
    internal static void Prune(string cacheFolder)
    {
        try
        {
            var now = DateTime.UtcNow;
            var folders = new DirectoryInfo(cacheFolder).GetDirectories();
            foreach (var left in folders.Where(f => f.Name.Contains(".tmp-", StringComparison.Ordinal) && now - f.LastWriteTimeUtc > LeftOverAfter))
            {
                TryDelete(left.FullName);
            }

            DateTime LastUsed(DirectoryInfo entry) =>
                File.Exists(entry.FullName + UsedSuffix) ? File.GetLastWriteTimeUtc(entry.FullName + UsedSuffix) : entry.LastWriteTimeUtc;
            foreach (var old in folders.Where(f => IsKey(f.Name)).OrderByDescending(LastUsed).Skip(EntriesKept))
            {
                TryDelete(old.FullName);
                File.Delete(old.FullName + UsedSuffix);
            }

            // Marks whose entry is gone (deleted as damaged, or by hand).
            foreach (var mark in Directory.EnumerateFiles(cacheFolder, "*" + UsedSuffix))
            {
                if (IsKey(Path.GetFileNameWithoutExtension(mark)) && !Directory.Exists(mark[..^UsedSuffix.Length]))
                {
                    File.Delete(mark);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left as it is: the next build prunes again.
        }
    }

    private static bool IsKey(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later run ignores it again.
        }
    }
}

/// <summary>The documents of a cache entry and the files the reader skipped, with their source.</summary>
internal sealed record CachedDocuments(IReadOnlyList<SourceDocument> Documents, IReadOnlyList<CachedSkip> Skipped);

/// <summary>A file the reader skipped, with its source's name.</summary>
internal sealed record CachedSkip(string Source, string Path, string Reason, bool LeftOutOnPurpose = false);

/// <summary>The source profile of a cache entry's documents, with the layout that wrote it.</summary>
internal sealed record CachedProfile(int Format, SourceSummary? Summary);

[JsonSerializable(typeof(CachedDocuments))]
[JsonSerializable(typeof(CachedProfile))]
internal sealed partial class CacheJson : JsonSerializerContext;
