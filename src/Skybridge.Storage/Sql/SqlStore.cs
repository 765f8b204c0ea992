using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>
/// The store contract over SQL, shared by both databases. The SQL here is the common subset of SQLite and
/// PostgreSQL (ON CONFLICT, RETURNING); what differs (connections, locking, error messages) lives in the subclasses.
/// Times are stored as microseconds since the Unix epoch (UTC) so both databases round-trip them exactly.
/// </summary>
internal abstract partial class SqlStore : ISkybridgeStore
{
    // One partial file per store area (SqlStore.Workflows.cs, .People.cs, .Agents.cs, .Tokens.cs, .Sources.cs, .Cases.cs,
    // .Ledger.cs), each with its row classes: Dapper maps columns by alias, and integers arrive as Int64 from SQLite.

    public abstract string Provider { get; }

    public abstract string Description { get; }

    /// <summary>Opens a connection, turning "cannot reach / not allowed / not a database" into <see cref="StoreUnavailableException"/>.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Row lock suffix for read-then-write in a transaction (PostgreSQL); SQLite writers are already serialised.</summary>
    protected abstract string ForUpdate { get; }

    /// <summary>Takes the cross-process migration lock inside <paramref name="transaction"/>.</summary>
    protected abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The folder of embedded migrations for this dialect (<c>Sqlite</c> or <c>Postgres</c>).</summary>
    protected abstract string Dialect { get; }

    public abstract ValueTask DisposeAsync();

    internal static long ToMicros(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    internal static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero);

    private static DateTimeOffset? FromMicros(long? micros) => micros is { } m ? FromMicros(m) : null;

    private static string Key(string userName) => userName.ToLowerInvariant();

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var migrations = Migrations.Load(Dialect);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
            transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var applied = (await connection.QueryAsync<AppliedMigration>(new CommandDefinition(
            "SELECT version AS Version, name AS Name, checksum AS Checksum FROM schema_migrations ORDER BY version",
            transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToDictionary(m => (int)m.Version);

        var newest = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (applied.Count > 0 && applied.Keys.Max() > newest)
        {
            throw new StoreUnavailableException(
                $"The store at {Description} has schema version {applied.Keys.Max()}, newer than this Skybridge knows ({newest}). " +
                "It was written by a newer Skybridge: upgrade this one, or point it at another store.");
        }

        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var done))
            {
                if (!string.Equals(done.Checksum, migration.Checksum, StringComparison.Ordinal))
                {
                    throw new StoreUnavailableException(
                        $"Migration {migration.Version} ({migration.Name}) in {Description} differs from the one this Skybridge ships " +
                        "(checksum mismatch). The schema was changed by hand or by another build; restore it from a backup.");
                }

                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES (@Version, @Name, @Checksum, @At)",
                new { migration.Version, migration.Name, migration.Checksum, At = ToMicros(DateTimeOffset.UtcNow) },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException) when (!cancellationToken.IsCancellationRequested)
        {
            return 0; // No migrations table yet: an empty store.
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or DbException)
        {
            return false;
        }
    }

    private sealed class AppliedMigration
    {
        public long Version { get; set; }
        public string Name { get; set; } = "";
        public string Checksum { get; set; } = "";
    }
}
