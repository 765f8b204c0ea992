using System.Data.Common;
using System.Net.Sockets;
using Dapper;
using Npgsql;

namespace Skybridge.Storage.Sql;

/// <summary>PostgreSQL, for several server nodes sharing one database.</summary>
internal sealed class PostgresStore : SqlStore
{
    // An arbitrary constant shared by every Skybridge node: the advisory lock that serialises migrations.
    private const long MigrationLockKey = 0x5B_1D_6E_00_01;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _host;
    private readonly int _port;
    private readonly string? _database;
    private readonly string? _user;

    public PostgresStore(string connectionString)
    {
        // The builder rejects malformed strings with an ArgumentException that names the keyword, never the password.
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _host = builder.Host ?? "localhost";
        _port = builder.Port;
        _database = builder.Database;
        _user = builder.Username;
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Provider => "postgres";

    public override string Description => $"postgres://{_user}@{_host}:{_port}/{_database}";

    protected override string ForUpdate => " FOR UPDATE";

    protected override string Dialect => "Postgres";

    protected override string BodyBytes => "convert_to(body, 'UTF8')";

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw ex.SqlState switch
            {
                "28P01" => new StoreUnavailableException($"PostgreSQL at {_host}:{_port} refused the password for user '{_user}'. Check the connection string's Password.", ex),
                "28000" => new StoreUnavailableException($"PostgreSQL at {_host}:{_port} does not allow user '{_user}' to connect (pg_hba.conf). Ask the database administrator.", ex),
                "3D000" => new StoreUnavailableException($"PostgreSQL at {_host}:{_port} has no database '{_database}'. Create it first (createdb {_database}).", ex),
                _ => new StoreUnavailableException($"PostgreSQL at {_host}:{_port} refused the connection: {ex.MessageText} ({ex.SqlState}).", ex),
            };
        }
        catch (NpgsqlException ex) when (ex.InnerException is SocketException or TimeoutException or IOException || ex.IsTransient)
        {
            throw new StoreUnavailableException($"Cannot reach PostgreSQL at {_host}:{_port}: {ex.InnerException?.Message ?? ex.Message}. Is the server running and the host and port right?", ex);
        }
        catch (SocketException ex)
        {
            throw new StoreUnavailableException($"Cannot reach PostgreSQL at {_host}:{_port}: {ex.Message}. Is the server running and the host and port right?", ex);
        }
    }

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // Held until the transaction ends: a second node waits, then sees the migrations as applied.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = MigrationLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The whole batch in one statement per table, as arrays: one round trip instead of one per event.</summary>
    protected override async Task InsertLedgerRowsAsync(DbConnection connection, DbTransaction tx, LedgerWrite write, CancellationToken cancellationToken)
    {
        var events = write.Events;
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO ledger_events (seq, event_id, type, workflow_id, case_id, at_us, body, leaf_hash) " +
            "SELECT * FROM unnest(@seq, @id, @type, @workflow, @case, @at, @body, @leaf)", (NpgsqlConnection)connection, (NpgsqlTransaction)tx))
        {
            insert.Parameters.Add(new NpgsqlParameter<long[]>("seq", events.Select(e => e.Sequence).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("id", events.Select(e => e.EventId).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("type", events.Select(e => e.Type).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<string?[]>("workflow", events.Select(e => e.WorkflowId).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<string?[]>("case", events.Select(e => e.CaseId).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<long[]>("at", events.Select(e => ToMicros(e.At)).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("body", events.Select(e => e.Body).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter<byte[][]>("leaf", events.Select(e => e.LeafHash).ToArray()));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (write.Subtrees.Count > 0)
        {
            await using var subtree = new NpgsqlCommand(
                "INSERT INTO ledger_subtrees (level, idx, hash) SELECT * FROM unnest(@level, @idx, @hash)", (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
            subtree.Parameters.Add(new NpgsqlParameter<int[]>("level", write.Subtrees.Select(t => t.Level).ToArray()));
            subtree.Parameters.Add(new NpgsqlParameter<long[]>("idx", write.Subtrees.Select(t => t.Index).ToArray()));
            subtree.Parameters.Add(new NpgsqlParameter<byte[][]>("hash", write.Subtrees.Select(t => t.Hash).ToArray()));
            await subtree.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
