using Microsoft.Data.Sqlite;
using Skybridge.Storage.Sql;
using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Sql;

/// <summary>
/// The SQLite store copies its write-ahead log into the database on a thread of its own, not in the commits of ledger
/// appends: the WAL must still stay bounded under steady appends, and nothing appended may be lost by it.
/// </summary>
public sealed class SqliteWalCheckpointerTests : IAsyncDisposable
{
    private const int PageSize = 4096;
    private const int RestartAtPages = 64;
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-wal-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Appends_ManyMoreThanTheRestartSize_KeepTheWalBounded_AndEveryEventReadsBack()
    {
        const int Rounds = 30;
        const int PerRound = 20;
        long walHighWater = 0;
        await using (var store = new SqliteStore(_folder, RestartAtPages))
        {
            await store.MigrateAsync(Ct);
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < PerRound; i++)
                {
                    await AppendAsync(store, $"case-{round}-{i}");
                }

                // Each round writes more pages than the restart size; let the checkpointer answer the round before the next.
                await PassAfterAsync(store);
                walHighWater = Math.Max(walHighWater, new FileInfo(WalPath).Length);
            }

            var written = await store.ReadLedgerEventsAsync(0, Rounds * PerRound + 1, Ct);
            Assert.Equal(Rounds * PerRound, written.Count);
            Assert.Equal(Rounds * PerRound, (await store.GetLedgerHeadAsync(Ct)).Size);
        }

        // Every append rewrites at least the ledger's last leaf page and its head row, so the rounds wrote well over
        // Rounds * PerRound * 2 pages in all; the WAL is reused from its start once it passes the restart size, so its
        // file never holds more than the restart size and one round's pages (a round is below 4 * 64 pages here).
        Assert.InRange(walHighWater, 1, (RestartAtPages + 4 * RestartAtPages) * (PageSize + 24L) + 32);

        // Nothing was lost by moving checkpoints: a new store on the folder reads every event.
        await using var reopened = SkybridgeStores.OpenSqlite(_folder);
        Assert.Equal(Rounds * PerRound, (await reopened.GetLedgerHeadAsync(Ct)).Size);
    }

    private string WalPath => Path.Combine(_folder, SqliteStore.FileName + "-wal");

    /// <summary>Waits until the checkpointer has finished a pass since now (one running already counts: the bound allows for it).</summary>
    private static async Task PassAfterAsync(SqliteStore store)
    {
        var before = store.WalCheckpointerPasses;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.WalCheckpointerPasses < before + 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(store.WalCheckpointerPasses > before, "the checkpointer ran no pass after the appends within 30 s");
    }

    // About a kilobyte, as a real event with its detail: a few appends fill a page.
    private static Task<LedgerHead> AppendAsync(SqliteStore store, string caseTag) =>
        LedgerAppends.AppendOneAsync(store, seq => ($"{caseTag}-{seq}", "action.proposed", "support-desk", caseTag, T0,
            $"{{\"seq\":{seq},\"tag\":\"{caseTag}\",\"detail\":\"{new string('x', 1000)}\"}}"), Ct);

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
