using Microsoft.Data.Sqlite;

namespace Skybridge.Storage.Sql;

/// <summary>
/// Copies the SQLite write-ahead log into the database on a thread of its own, so that ledger appends never wait for it.
/// </summary>
/// <remarks>
/// <para>
/// By default SQLite checkpoints inside the commit of whichever connection takes the WAL past 1,000 pages. On the
/// ledger's append connection that is every few dozen milliseconds under load, and each time the group commit's callers
/// wait while a thousand pages are copied and the database file is synced. The append connection therefore checkpoints
/// only as a backstop (<see cref="BackstopPages"/>, should this loop fall behind or fail), and this loop does the
/// work shortly after appends commit, on its own connection:
/// </para>
/// <list type="bullet">
/// <item>PASSIVE checkpoints, which never wait for a writer or a reader and never block one;</item>
/// <item>once the WAL holds <see cref="RestartAtPages"/> pages, a RESTART, so that the next append writes the WAL from its
/// start again instead of growing the file without end. A RESTART holds new writers back while it runs, so it runs
/// right after a PASSIVE pass that copied every page (nothing left to copy, no reader on an older snapshot); it waits
/// for readers at most <see cref="RestartWait"/> and is tried again later when they are still reading.</item>
/// </list>
/// <para>
/// Durability does not depend on this loop: a commit is durable once its WAL frames are synced (synchronous = FULL),
/// and SQLite replays the WAL on the next open whether or not it was checkpointed.
/// </para>
/// </remarks>
internal sealed class SqliteWalCheckpointer : IAsyncDisposable
{
    /// <summary>The append connection's own automatic checkpoint: only if this loop falls this far behind.</summary>
    public const int BackstopPages = 16_384;

    /// <summary>Default WAL size (pages) after which the loop restarts the WAL.</summary>
    public const int DefaultRestartAtPages = 4_096;

    /// <summary>How long a RESTART waits for readers still on the WAL before it gives up until the next pass.</summary>
    public static readonly TimeSpan RestartWait = TimeSpan.FromMilliseconds(20);

    // Appends that come in a burst are copied together: a pass waits this long after the first commit it was woken for.
    private static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan AfterFailure = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly SemaphoreSlim _committed = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _pending;
    private long _passes;

    private SqliteWalCheckpointer(string connectionString, int restartAtPages)
    {
        // A connection of its own, never handed to the pool: its short busy wait is for checkpoints only.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        RestartAtPages = restartAtPages;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>WAL size, in pages, after which a pass restarts the WAL.</summary>
    public int RestartAtPages { get; }

    /// <summary>Passes run so far (each copies whatever the WAL holds that the database does not).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Starts the loop for the database of <paramref name="connectionString"/>.</summary>
    public static SqliteWalCheckpointer Start(string connectionString, int restartAtPages = DefaultRestartAtPages) =>
        new(connectionString, restartAtPages);

    /// <summary>Says that an append committed: a pass follows shortly. Cheap, never blocks.</summary>
    public void Committed()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _committed.Release();
        }
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                _committed.Wait(_stop.Token);
                _stop.Token.WaitHandle.WaitOne(Gather);
                Volatile.Write(ref _pending, 0);
                try
                {
                    connection ??= Open();
                    Pass(connection);
                }
                catch (SqliteException)
                {
                    // A full disk or an I/O error: the appends meet it themselves and report it. This loop starts again
                    // on a fresh connection later; the append connection's backstop bounds the WAL meanwhile.
                    connection?.Dispose();
                    connection = null;
                    _stop.Token.WaitHandle.WaitOne(AfterFailure);
                    Committed();
                }

                Interlocked.Increment(ref _passes);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // The checkpoint syncs the database file before it lets the WAL be reused (synchronous = FULL, as every
        // connection of the store); the busy wait bounds how long a RESTART holds appends back.
        command.CommandText = $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {(int)RestartWait.TotalMilliseconds};";
        command.ExecuteNonQuery();
        return connection;
    }

    private void Pass(SqliteConnection connection)
    {
        var (_, walPages, copied) = Checkpoint(connection, "PASSIVE");
        // A RESTART holds appends back while it waits for readers still on the WAL: it is tried once the PASSIVE pass
        // could copy every page (no reader holds an older snapshot), or, should readers keep the WAL pinned, once it
        // has grown to twice the restart size.
        if (walPages >= RestartAtPages && (copied >= walPages || walPages >= 2L * RestartAtPages))
        {
            // Busy (a reader still on the WAL after the wait) is an answer, not a failure: the next pass tries again.
            Checkpoint(connection, "RESTART");
        }
    }

    /// <summary>Runs one checkpoint; returns whether it was blocked, the WAL's size in pages, and how many are copied.</summary>
    private static (bool Busy, long WalPages, long Copied) Checkpoint(SqliteConnection connection, string mode)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode});";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2)) : (false, 0, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _committed.Dispose();
    }
}
