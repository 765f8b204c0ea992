using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Skybridge.Core.Ledger.Verification;

namespace Skybridge.Storage.Sql;

/// <summary>The embedded default: one SQLite file (<c>skybridge.db</c>) in a data folder, in WAL mode.</summary>
internal sealed class SqliteStore : SqlStore
{
    public const string FileName = "skybridge.db";

    private readonly string _folder;
    private readonly string _connectionString;
    private readonly int _walRestartAtPages;
    private bool _prepared;

    public SqliteStore(string dataFolder, int walRestartAtPages = SqliteWalCheckpointer.DefaultRestartAtPages)
    {
        _walRestartAtPages = walRestartAtPages;
        _folder = Path.GetFullPath(dataFolder);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_folder, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Provider => "sqlite";

    public override string Description => Path.Combine(_folder, FileName);

    protected override string ForUpdate => "";

    protected override string Dialect => "Sqlite";

    // Reading a TEXT column as bytes hands over SQLite's stored UTF-8 as is.
    protected override string BodyBytes => "body";

    // Native connections already set up (weakly held: a connection the pool closes is forgotten with it).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = [];
    private static readonly object Marker = new();

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_prepared)
        {
            PrepareFolder();
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Per native connection: wait for a busy writer instead of failing, enforce references, and sync the WAL on
            // every commit (a connection's own setting, not the file's: FULL is SQLite's default, said here so that no
            // build's default can make a commit less durable than the ledger promises). Pooled connections keep the
            // settings, so each native connection is set up once, not on every open.
            if (!Configured.TryGetValue(connection.Handle!, out _))
            {
                await connection.ExecuteAsync("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;").ConfigureAwait(false);
                Configured.AddOrUpdate(connection.Handle!, Marker);
            }
            if (!_prepared)
            {
                // WAL lets readers go on while one writer commits; the journal mode is stored in the file.
                await connection.ExecuteAsync("PRAGMA journal_mode = WAL;").ConfigureAwait(false);
                _prepared = true;
            }

            return connection;
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Unavailable(ex);
        }
    }

    private void PrepareFolder()
    {
        try
        {
            Directory.CreateDirectory(_folder);
            // Prove the folder is writable now, with a clear message, rather than at the first write.
            var probe = Path.Combine(_folder, $".write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            if (!OperatingSystem.IsWindows())
            {
                RestrictToOwner();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException(
                $"Cannot use the data folder {_folder}: {ex.Message} Choose another folder with --data, or fix its permissions.", ex);
        }
    }

    /// <summary>
    /// The database holds accounts, password hashes and the ledger: the folder and its files are the service
    /// account's only (0700, 0600), whatever the umask. SQLite gives the WAL and shared-memory files the database
    /// file's mode, so the database is created 0600 before SQLite first opens it; files of an older installation
    /// are tightened in place.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void RestrictToOwner()
    {
        const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if ((File.GetUnixFileMode(_folder) & ~Folder) != 0)
        {
            File.SetUnixFileMode(_folder, Folder);
        }

        var database = Path.Combine(_folder, FileName);
        // OpenOrCreate: another process may create it at the same moment; the mode applies only to a new file.
        using (new FileStream(database, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = Owner }))
        {
        }

        foreach (var file in new[] { database, database + "-wal", database + "-shm", database + "-journal" })
        {
            if (File.Exists(file) && (File.GetUnixFileMode(file) & ~Owner) != 0)
            {
                File.SetUnixFileMode(file, Owner);
            }
        }
    }

    private StoreUnavailableException Unavailable(SqliteException ex) => ex.SqliteErrorCode switch
    {
        26 => new StoreUnavailableException($"{Description} is not a Skybridge database (the file is not SQLite or is damaged). Move it away or choose another folder with --data.", ex),
        11 => new StoreUnavailableException($"{Description} is damaged (SQLite reports corruption). Restore it from a backup.", ex),
        8 or 14 => new StoreUnavailableException($"Cannot open {Description} for writing: {ex.Message} Fix the permissions or choose another folder with --data.", ex),
        _ => new StoreUnavailableException($"Cannot open {Description}: {ex.Message}", ex),
    };

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default transaction) already holds the write lock; touching the
        // schema inside it makes a second process wait here until the first has finished migrating.
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA user_version", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The audit's read, straight on SQLite's statement API: it runs once per event of the ledger, and the data
    /// reader's per-row bookkeeping costs more than the row itself.
    /// </summary>
    public override async Task<IReadOnlyList<LedgerAuditRow>> ReadLedgerForAuditAsync(long fromSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = (SqliteConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Map the file instead of reading it page by page through system calls: an audit reads all of it.
        await connection.ExecuteAsync("PRAGMA mmap_size = 68719476736").ConfigureAwait(false);
        var rows = new List<LedgerAuditRow>(Math.Min(limit, 65_536));
        // Bodies and hashes are copied into a few large chunks rather than one array per event.
        var chunk = new byte[ChunkSize];
        var used = 0;
        var rc = SQLitePCL.raw.sqlite3_prepare_v2(connection.Handle, "SELECT seq, body, leaf_hash FROM ledger_events WHERE seq >= ?1 ORDER BY seq LIMIT ?2", out var statement);
        if (rc != SQLitePCL.raw.SQLITE_OK)
        {
            throw new StoreUnavailableException($"Cannot read the ledger in {Description}: {SQLitePCL.raw.sqlite3_errmsg(connection.Handle).utf8_to_string()}");
        }

        using (statement)
        {
            SQLitePCL.raw.sqlite3_bind_int64(statement, 1, fromSequence);
            SQLitePCL.raw.sqlite3_bind_int64(statement, 2, limit);
            while ((rc = SQLitePCL.raw.sqlite3_step(statement)) == SQLitePCL.raw.SQLITE_ROW)
            {
                // A TEXT column read as a blob gives its stored UTF-8 bytes.
                var body = SQLitePCL.raw.sqlite3_column_blob(statement, 1);
                var leaf = SQLitePCL.raw.sqlite3_column_blob(statement, 2);
                if (used + body.Length + leaf.Length > chunk.Length)
                {
                    chunk = new byte[Math.Max(ChunkSize, body.Length + leaf.Length)];
                    used = 0;
                }

                body.CopyTo(chunk.AsSpan(used));
                var bodyMemory = new ReadOnlyMemory<byte>(chunk, used, body.Length);
                used += body.Length;
                leaf.CopyTo(chunk.AsSpan(used));
                var leafMemory = new ReadOnlyMemory<byte>(chunk, used, leaf.Length);
                used += leaf.Length;
                rows.Add(new LedgerAuditRow(SQLitePCL.raw.sqlite3_column_int64(statement, 0), bodyMemory, leafMemory));
                if ((rows.Count & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            if (rc != SQLitePCL.raw.SQLITE_DONE)
            {
                throw new StoreUnavailableException($"Reading the ledger in {Description} failed: {SQLitePCL.raw.sqlite3_errmsg(connection.Handle).utf8_to_string()}");
            }
        }

        return rows;
    }

    private const int ChunkSize = 4 << 20;

    /// <summary>One prepared statement for every row of every batch: the append path's hot loop.</summary>
    protected override async Task InsertLedgerRowsAsync(DbConnection connection, DbTransaction tx, LedgerWrite write, CancellationToken cancellationToken)
    {
        await using (var statement = AppendStatement(connection, tx, InsertEventSql))
        {
            var insert = statement.Command;
            var p = Parameters(insert, "$seq", "$id", "$type", "$workflow", "$case", "$at", "$body", "$leaf");
            foreach (var e in write.Events)
            {
                cancellationToken.ThrowIfCancellationRequested();
                p[0].Value = e.Sequence;
                p[1].Value = e.EventId;
                p[2].Value = e.Type;
                p[3].Value = (object?)e.WorkflowId ?? DBNull.Value;
                p[4].Value = (object?)e.CaseId ?? DBNull.Value;
                p[5].Value = ToMicros(e.At);
                p[6].Value = e.Body;
                p[7].Value = e.LeafHash;
                insert.ExecuteNonQuery();
            }
        }

        if (write.Subtrees.Count > 0)
        {
            await using var statement = AppendStatement(connection, tx, InsertSubtreeSql);
            var subtree = statement.Command;
            var p = Parameters(subtree, "$level", "$idx", "$hash");
            foreach (var t in write.Subtrees)
            {
                p[0].Value = t.Level;
                p[1].Value = t.Index;
                p[2].Value = t.Hash;
                subtree.ExecuteNonQuery();
            }
        }
    }

    private const string InsertEventSql =
        "INSERT INTO ledger_events (seq, event_id, type, workflow_id, case_id, at_us, body, leaf_hash) VALUES ($seq, $id, $type, $workflow, $case, $at, $body, $leaf)";

    private const string InsertSubtreeSql = "INSERT INTO ledger_subtrees (level, idx, hash) VALUES ($level, $idx, $hash)";

    // Appends run on one connection that stays open, with the statements they run kept prepared on it: every append
    // runs the same few statements, and compiling them again each time was work done while every caller waited (it
    // took about 8 KB of allocation off each governed call; docs/performance.md). The commands
    // (and their prepared statements) belong to that connection; they are closed with it. One append at a time: the
    // ledger's writer is the only caller on a node, and SQLite has one writer per file anyway.
    private readonly SemaphoreSlim _appendGate = new(1, 1);
    private SqliteConnection? _appendConnection;
    private SqliteWalCheckpointer? _checkpointer;
    private readonly Dictionary<string, SqliteCommand> _appendCommands = new(StringComparer.Ordinal);

    /// <summary>Checkpoint passes the WAL checkpointer has run (0 before the first append).</summary>
    internal long WalCheckpointerPasses => _checkpointer?.Passes ?? 0;

    protected override async Task<DbConnection> OpenAppendConnectionAsync(CancellationToken cancellationToken)
    {
        await _appendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_appendConnection is null)
            {
                var connection = (SqliteConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // Appends leave checkpoints to the checkpointer's own thread; this connection checkpoints only if it
                    // falls far behind (SqliteWalCheckpointer).
                    await connection.ExecuteAsync($"PRAGMA wal_autocheckpoint = {SqliteWalCheckpointer.BackstopPages};").ConfigureAwait(false);
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                _appendConnection = connection;
                _checkpointer ??= SqliteWalCheckpointer.Start(_connectionString, _walRestartAtPages);
            }

            return _appendConnection;
        }
        catch
        {
            _appendGate.Release();
            throw;
        }
    }

    protected override async ValueTask ReleaseAppendConnectionAsync(DbConnection connection, bool reusable)
    {
        try
        {
            _checkpointer?.Committed();
            if (!reusable)
            {
                // After a fault (a full disk, a cancelled wait) start again from a fresh connection and statements.
                await CloseAppendConnectionAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _appendGate.Release();
        }
    }

    protected override Statement AppendStatement(DbConnection connection, DbTransaction tx, string sql)
    {
        if (!ReferenceEquals(connection, _appendConnection))
        {
            return base.AppendStatement(connection, tx, sql);
        }

        if (!_appendCommands.TryGetValue(sql, out var command))
        {
            command = _appendConnection.CreateCommand();
            command.CommandText = sql;
            _appendCommands.Add(sql, command);
        }

        command.Transaction = (SqliteTransaction)tx;
        return new Statement(command, Owned: false);
    }

    private async ValueTask CloseAppendConnectionAsync()
    {
        foreach (var command in _appendCommands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        _appendCommands.Clear();
        if (_appendConnection is { } connection)
        {
            _appendConnection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The command's parameters in the order named, created the first time (a kept command has them already).</summary>
    private static DbParameter[] Parameters(DbCommand command, params string[] names)
    {
        if (command.Parameters.Count == names.Length)
        {
            return names.Select(name => command.Parameters[name]).ToArray();
        }

        command.Parameters.Clear();
        return names.Select(name =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
    }

    public override async ValueTask DisposeAsync()
    {
        await _appendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseAppendConnectionAsync().ConfigureAwait(false);
            if (_checkpointer is { } checkpointer)
            {
                _checkpointer = null;
                await checkpointer.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _appendGate.Release();
        }

        // Pooled connections keep the file open (and its WAL); release them so the folder can be moved or deleted. Only
        // this store's: clearing every pool of the process would pull connections from under other stores open in it.
        using var mine = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(mine);
    }
}
