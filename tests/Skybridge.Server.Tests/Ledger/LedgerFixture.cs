using Microsoft.Data.Sqlite;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Ledger;

/// <summary>A ledger on a fresh SQLite data folder, with its own signing key, for tamper and proof tests.</summary>
internal sealed class LedgerFixture : IAsyncDisposable
{
    private LedgerFixture(string folder, ISkybridgeStore store, LedgerWriter writer, LedgerService service, LedgerSigner signer)
    {
        Folder = folder;
        Store = store;
        Writer = writer;
        Service = service;
        Signer = signer;
    }

    public string Folder { get; }
    public ISkybridgeStore Store { get; }
    public LedgerWriter Writer { get; }
    public LedgerService Service { get; }
    public LedgerSigner Signer { get; }

    public static async Task<LedgerFixture> CreateAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-ledger-" + Guid.NewGuid().ToString("N"));
        var store = SkybridgeStores.OpenSqlite(folder);
        await store.MigrateAsync();
        var head = await store.GetLedgerHeadAsync();
        var signer = await LedgerKeys.LoadOrCreateAsync(Path.Combine(folder, "keys", "ledger.key"), head.Origin, store, TimeProvider.System, default);
        var writer = new LedgerWriter(store, TimeProvider.System, "test-node");
        return new LedgerFixture(folder, store, writer, new LedgerService(store, TimeProvider.System, signer), signer);
    }

    public static LedgerEntry Entry(int i, string? caseId = null) => new()
    {
        Type = i % 3 == 0 ? "retrieval.done" : i % 3 == 1 ? "model.called" : "policy.decided",
        Actors = [LedgerActor.Human("maria"), LedgerActor.Agent("responder-1")],
        WorkflowId = "support-desk",
        WorkflowVersion = 1,
        CaseId = caseId,
        Resource = new LedgerResource("ticket", $"T-{i}", ["body", "subject"]),
        Rules = i % 3 == 2 ? ["refund-small"] : null,
        Outcome = i % 3 == 2 ? "allow" : null,
        InputHashes = new Dictionary<string, string> { ["prompt"] = LedgerEntry.Digest($"prompt {i}") },
    };

    /// <summary>Appends <paramref name="count"/> events concurrently (so they share group commits) and signs a checkpoint.</summary>
    public async Task<IReadOnlyList<RecordedEvent>> AppendAsync(int count, string? caseId = null)
    {
        var recorded = await Task.WhenAll(Enumerable.Range(0, count).Select(i => Writer.AppendAsync(Entry(i, caseId))));
        await Service.CheckpointAsync(default);
        return recorded;
    }

    /// <summary>Runs raw SQL against the data file, as an administrator with database access could.</summary>
    public async Task TamperAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, "skybridge.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
