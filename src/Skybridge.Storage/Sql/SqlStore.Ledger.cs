using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Skybridge.Core.Ledger.Verification;

namespace Skybridge.Storage.Sql;

/// <summary>The ledger half of the SQL store.</summary>
internal abstract partial class SqlStore
{
    private const string EventColumns =
        "SELECT seq AS Seq, event_id AS EventId, type AS Type, workflow_id AS WorkflowId, case_id AS CaseId, at_us AS AtUs, body AS Body, leaf_hash AS LeafHash FROM ledger_events";

    public async Task<LedgerHead> AppendLedgerAsync(Func<LedgerHead, LedgerWrite> prepare, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var connection = await OpenAppendConnectionAsync(cancellationToken).ConfigureAwait(false);
        var reusable = false;
        try
        {
            await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var head = await ReadHeadAsync(connection, tx, lockRow: true, cancellationToken).ConfigureAwait(false);
                    var write = prepare(head);
                    await InsertLedgerRowsAsync(connection, tx, write, cancellationToken).ConfigureAwait(false);
                    foreach (var row in write.Rows)
                    {
                        await WriteRecordedRowAsync(connection, tx, row, cancellationToken).ConfigureAwait(false);
                    }

                    await using (var statement = AppendStatement(connection, tx, "UPDATE ledger_meta SET size = @Size, frontier = @Frontier WHERE id = 1"))
                    {
                        SetParameter(statement.Command, "@Size", write.NewHead.Size);
                        SetParameter(statement.Command, "@Frontier", EncodeFrontier(write.NewHead.Frontier));
                        await statement.Command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    // Commit returns once the database has made the rows durable (WAL + synchronous=FULL, or PostgreSQL's commit).
                    await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    reusable = true;
                    return write.NewHead;
                }
                catch (Exception ex) when (ex is StoreConflictException or BudgetExhaustedException)
                {
                    // A compare-and-set that lost is an answer, not a fault: the transaction rolls back below and the
                    // connection is as good as before.
                    reusable = true;
                    throw;
                }
            }
        }
        finally
        {
            await ReleaseAppendConnectionAsync(connection, reusable).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The connection a ledger append runs on. By default a pooled one, like any other; a dialect may keep one open for
    /// appends so that the statements every append runs stay prepared (<see cref="AppendStatement"/>).
    /// </summary>
    protected virtual Task<DbConnection> OpenAppendConnectionAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>
    /// Gives the append connection back. <paramref name="reusable"/> is false when the append failed for a reason other
    /// than a lost compare-and-set (a disk error, a cancelled wait): a kept connection is then closed and opened afresh.
    /// </summary>
    protected virtual ValueTask ReleaseAppendConnectionAsync(DbConnection connection, bool reusable) => connection.DisposeAsync();

    /// <summary>
    /// A command for <paramref name="sql"/> in <paramref name="tx"/>. On a connection a dialect keeps for appends it is
    /// the command an earlier append prepared, with the parameters it was given then (set them with
    /// <see cref="SetParameter"/>); anywhere else, a new command. Dispose the lease, never the command.
    /// </summary>
    protected virtual Statement AppendStatement(DbConnection connection, DbTransaction tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return new Statement(command, Owned: true);
    }

    /// <summary>A command lent for one statement: disposed after use when it was made for it, kept when the store caches it.</summary>
    protected readonly record struct Statement(DbCommand Command, bool Owned) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Owned ? Command.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <summary>Sets a named parameter, adding it the first time: a reused command keeps its parameter objects.</summary>
    private protected static void SetParameter(DbCommand command, string name, object value)
    {
        var index = command.Parameters.IndexOf(name);
        if (index >= 0)
        {
            command.Parameters[index].Value = value;
            return;
        }

        AddParameter(command, name, value);
    }

    /// <summary>
    /// Writes a row of another area inside the ledger's transaction. A compare-and-set that finds another state throws
    /// <see cref="StoreConflictException"/>, which rolls the whole transaction back, events included.
    /// </summary>
    private Task WriteRecordedRowAsync(DbConnection connection, DbTransaction tx, RecordedRow row, CancellationToken cancellationToken) => row switch
    {
        CaseRecordedRow c => InsertCaseAsync(connection, tx, c.Case, cancellationToken),
        ActionRecordedRow a => InsertActionAsync(connection, tx, a.Action, cancellationToken),
        ApprovalRecordedRow a => InsertApprovalAsync(connection, tx, a.Approval, cancellationToken),
        ApprovalUpdateRow u => UpdateApprovalAsync(connection, tx, u, cancellationToken),
        ActionTransitionRow t => TransitionActionRowAsync(connection, tx, t, cancellationToken),
        BudgetSpendRow b => SpendRowAsync(connection, tx, b, cancellationToken),
        BudgetReleaseRow r => ReleaseRowAsync(connection, tx, r, cancellationToken),
        ActionRecheckRow r => RecheckActionRowAsync(connection, tx, r, cancellationToken),
        GroupMemberAddedRow g => AddGroupMemberRowAsync(connection, tx, g.Membership, cancellationToken),
        GroupMemberRemovedRow g => RemoveGroupMemberRowAsync(connection, tx, g, cancellationToken),
        SecretSetRow s => SetSecretRowAsync(connection, tx, s.Secret, cancellationToken),
        SecretRemovedRow s => RemoveSecretRowAsync(connection, tx, s.Name, cancellationToken),
        WebhookAbandonRow w => AbandonWebhookRowAsync(connection, tx, w, cancellationToken),
        EvaluationRunRecordedRow e => InsertEvaluationRunAsync(connection, tx, e.Run, cancellationToken),
        CalibrationRecordedRow c => InsertCalibrationAsync(connection, tx, c.Calibration, cancellationToken),
        ReviewEnqueuedRow r => EnqueueReviewRowAsync(connection, tx, r.Item, cancellationToken),
        ReviewRecordedRow r => RecordReviewRowAsync(connection, tx, r.Review, cancellationToken),
        ReviewOverdueFlaggedRow r => FlagOverdueRowAsync(connection, tx, r, cancellationToken),
        _ => throw new NotSupportedException($"No table for {row.GetType().Name}."),
    };

    /// <summary>Writes events and subtrees; dialects may override with a faster bulk path.</summary>
    protected virtual async Task InsertLedgerRowsAsync(DbConnection connection, DbTransaction tx, LedgerWrite write, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO ledger_events (seq, event_id, type, workflow_id, case_id, at_us, body, leaf_hash) VALUES (@Sequence, @EventId, @Type, @WorkflowId, @CaseId, @AtUs, @Body, @LeafHash)",
            write.Events.Select(e => new { e.Sequence, e.EventId, e.Type, e.WorkflowId, e.CaseId, AtUs = ToMicros(e.At), e.Body, e.LeafHash }),
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (write.Subtrees.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO ledger_subtrees (level, idx, hash) VALUES (@Level, @Index, @Hash)",
                write.Subtrees, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    public async Task<LedgerHead> GetLedgerHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Readers (proofs, audits) take no write lock: only a ledger that has no head yet is initialised.
        var row = await connection.QuerySingleOrDefaultAsync<HeadRow>(new CommandDefinition(
            "SELECT origin AS Origin, size AS Size, frontier AS Frontier FROM ledger_meta WHERE id = 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is not null)
        {
            return new LedgerHead(row.Origin, row.Size, DecodeFrontier(row.Frontier));
        }

        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var head = await ReadHeadAsync(connection, tx, lockRow: false, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return head;
    }

    private const string HeadSql = "SELECT origin, size, frontier FROM ledger_meta WHERE id = 1";

    private string HeadForUpdateSql => field ??= HeadSql + ForUpdate;

    private async Task<LedgerHead> ReadHeadAsync(DbConnection connection, DbTransaction tx, bool lockRow, CancellationToken cancellationToken)
    {
        // Every append reads the head first, while the writer holds it: a plain reader, no mapping layer.
        async Task<LedgerHead?> Read()
        {
            await using var select = AppendStatement(connection, tx, lockRow ? HeadForUpdateSql : HeadSql);
            await using var reader = await select.Command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new LedgerHead(reader.GetString(0), reader.GetInt64(1), DecodeFrontier(reader.GetString(2)))
                : null;
        }

        // The head exists from the first append on: only a ledger without one pays for creating it (every append
        // used to run the insert, and draw a random origin, to find the row there).
        if (await Read().ConfigureAwait(false) is { } head)
        {
            return head;
        }

        // The origin names this ledger in its checkpoints, so a checkpoint of another ledger is never taken for ours.
        // Two nodes creating it at once: one insert wins, and both read (and lock) the winner's row.
        var origin = "skybridge.ledger/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO ledger_meta (id, origin, size, frontier) VALUES (1, @origin, 0, '') ON CONFLICT (id) DO NOTHING",
            new { origin }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await Read().ConfigureAwait(false) ?? throw new InvalidOperationException("The ledger's head row is missing after it was created.");
    }

    private static string EncodeFrontier(IReadOnlyList<byte[]> frontier) => string.Join(',', frontier.Select(Convert.ToBase64String));

    private static IReadOnlyList<byte[]> DecodeFrontier(string text) =>
        text.Length == 0 ? [] : text.Split(',').Select(Convert.FromBase64String).ToList();

    public async Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerEventsAsync(long fromSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            EventColumns + " WHERE seq >= @fromSequence ORDER BY seq LIMIT @limit", new { fromSequence, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>SQL giving an event body's UTF-8 bytes without a round trip through UTF-16.</summary>
    protected abstract string BodyBytes { get; }

    public virtual async Task<IReadOnlyList<LedgerAuditRow>> ReadLedgerForAuditAsync(long fromSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, {BodyBytes}, leaf_hash FROM ledger_events WHERE seq >= @from ORDER BY seq LIMIT @limit";
        AddParameter(command, "@from", fromSequence);
        AddParameter(command, "@limit", limit);
        var rows = new List<LedgerAuditRow>(Math.Min(limit, 65_536));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        // A plain reader, no mapping layer, synchronous rows (the caller reads on a worker thread): this loop runs
        // once per event of the ledger.
        while (reader.Read())
        {
            rows.Add(new LedgerAuditRow(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? ReadOnlyMemory<byte>.Empty : reader.GetFieldValue<byte[]>(2)));
        }

        return rows;
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public async Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerCaseAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            EventColumns + " WHERE case_id = @caseId ORDER BY seq", new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerWorkflowRecentAsync(string workflowId, long beforeSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Backwards along the primary key from the newest event: recent activity is found without reading the ledger's start.
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            EventColumns + " WHERE workflow_id = @workflowId AND seq < @beforeSequence ORDER BY seq DESC LIMIT @limit",
            new { workflowId, beforeSequence, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<byte[]>> ReadLeafHashesAsync(long start, long end, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<byte[]>(new CommandDefinition(
            "SELECT leaf_hash FROM ledger_events WHERE seq >= @start AND seq < @end ORDER BY seq", new { start, end }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToList();
    }

    public async Task<IReadOnlyList<byte[]>> ReadSubtreesAsync(int level, long start, long end, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<byte[]>(new CommandDefinition(
            "SELECT hash FROM ledger_subtrees WHERE level = @level AND idx >= @start AND idx < @end ORDER BY idx", new { level, start, end }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToList();
    }

    public async Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO ledger_checkpoints (size, root, at_us, note) VALUES (@Size, @Root, @AtUs, @Note) ON CONFLICT (size) DO NOTHING",
            new { checkpoint.Size, checkpoint.Root, AtUs = ToMicros(checkpoint.At), checkpoint.Note }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<CheckpointRow>(new CommandDefinition(
            "SELECT size AS Size, root AS Root, at_us AS AtUs, note AS Note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : new StoredCheckpoint(row.Size, row.Root, FromMicros(row.AtUs), row.Note);
    }

    public async Task<IReadOnlyList<StoredCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CheckpointRow>(new CommandDefinition(
            "SELECT size AS Size, root AS Root, at_us AS AtUs, note AS Note FROM ledger_checkpoints ORDER BY size", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new StoredCheckpoint(r.Size, r.Root, FromMicros(r.AtUs), r.Note)).ToList();
    }

    public async Task SaveLedgerKeyAsync(string keyId, string name, string verifierKey, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO ledger_keys (key_id, name, vkey, created_at_us) VALUES (@keyId, @name, @verifierKey, @at) ON CONFLICT (key_id) DO NOTHING",
            new { keyId, name, verifierKey, at = ToMicros(createdAt) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ListLedgerKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT vkey FROM ledger_keys ORDER BY created_at_us, key_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToList();
    }

    private sealed class HeadRow
    {
        public string Origin { get; set; } = "";
        public long Size { get; set; }
        public string Frontier { get; set; } = "";
    }

    private sealed class EventRow
    {
        public long Seq { get; set; }
        public string EventId { get; set; } = "";
        public string Type { get; set; } = "";
        public string? WorkflowId { get; set; }
        public string? CaseId { get; set; }
        public long AtUs { get; set; }
        public string Body { get; set; } = "";
        public byte[] LeafHash { get; set; } = [];

        public StoredLedgerEvent ToRecord() => new(Seq, EventId, Type, WorkflowId, CaseId, FromMicros(AtUs), Body, LeafHash);
    }

    private sealed class CheckpointRow
    {
        public long Size { get; set; }
        public byte[] Root { get; set; } = [];
        public long AtUs { get; set; }
        public string Note { get; set; } = "";
    }
}
