using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Support;

/// <summary>A migrated SQLite store in a throw-away folder, with the node's ledger writer over it.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string _folder;

    private TestStore(string folder, ISkybridgeStore store)
    {
        _folder = folder;
        Store = store;
        Ledger = new LedgerWriter(store, TimeProvider.System, "test-node");
    }

    public ISkybridgeStore Store { get; }

    public LedgerWriter Ledger { get; }

    public static async Task<TestStore> OpenAsync()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-app-").FullName;
        var store = SkybridgeStores.OpenSqlite(folder);
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        return new TestStore(folder, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        await Store.DisposeAsync();
        // SQLite may still be removing its -wal/-shm files as the last pooled connection closes: a delete that races
        // with it finds the folder "not empty"; try again shortly rather than fail a test that passed.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(100 * attempt);
            }
        }
    }

    /// <summary>Copies the sample workflow's folder (manifest, golden set, knowledge base) into <paramref name="folder"/>, for a test to change.</summary>
    public static void CopySample(string folder)
    {
        var sample = Path.Combine(RepoRoot, "samples", "support-desk");
        foreach (var file in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(sample, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// Writes <paramref name="goldenSet"/> as the golden set of the sample copied into <paramref name="folder"/>, and pins
    /// it in that folder's manifest (the sample pins its own golden set, so a changed one must be pinned again).
    /// </summary>
    public static async Task WriteGoldenSetAsync(string folder, string goldenSet, CancellationToken cancellationToken, string? pin = null)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "golden-set.yaml"), goldenSet, cancellationToken);
        var manifest = Path.Combine(folder, "manifest.yaml");
        var sha = pin ?? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(goldenSet)));
        var yaml = System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(manifest, cancellationToken), "^golden_set:.*$",
            "golden_set: { path: golden-set.yaml, sha256: " + sha + " }", System.Text.RegularExpressions.RegexOptions.Multiline);
        await File.WriteAllTextAsync(manifest, yaml, cancellationToken);
    }

    /// <summary>The repository's root (where Skybridge.slnx is).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }
}
