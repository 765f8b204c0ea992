using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: webhook delivery cursors.</summary>
internal abstract partial class SqlStore
{
    private const string CursorColumns =
        "SELECT workflow_id AS WorkflowId, webhook AS Webhook, next_seq AS NextSeq, attempts AS Attempts, next_attempt_us AS NextAttemptUs, " +
        "last_error AS LastError, lease_owner AS LeaseOwner, lease_until_us AS LeaseUntilUs, delivered AS Delivered, abandoned AS Abandoned, " +
        "last_delivered_us AS LastDeliveredUs, updated_us AS UpdatedUs FROM webhook_cursors";

    public async Task<WebhookCursor> GetOrCreateWebhookCursorAsync(string workflowId, string webhook, long startAt, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Two nodes making it at once: one insert wins, both read the winner's row.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO webhook_cursors (workflow_id, webhook, next_seq, created_us, updated_us) VALUES (@workflowId, @webhook, @startAt, @now, @now) ON CONFLICT (workflow_id, webhook) DO NOTHING",
            new { workflowId, webhook, startAt, now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<CursorRow>(new CommandDefinition(
            CursorColumns + " WHERE workflow_id = @workflowId AND webhook = @webhook", new { workflowId, webhook }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row.ToRecord();
    }

    public async Task<IReadOnlyList<WebhookCursor>> ListWebhookCursorsAsync(string? workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CursorRow>(new CommandDefinition(
            CursorColumns + (workflowId is null ? "" : " WHERE workflow_id = @workflowId") + " ORDER BY workflow_id, webhook", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<bool> LeaseWebhookAsync(string workflowId, string webhook, string nodeId, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursors SET lease_owner = @nodeId, lease_until_us = @until WHERE workflow_id = @workflowId AND webhook = @webhook " +
            "AND (lease_owner IS NULL OR lease_owner = @nodeId OR lease_until_us IS NULL OR lease_until_us < @now)",
            new { workflowId, webhook, nodeId, now = ToMicros(now), until = ToMicros(until) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task<bool> AdvanceWebhookAsync(string workflowId, string webhook, long from, long to, int delivered, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursors SET next_seq = @to, attempts = 0, next_attempt_us = NULL, last_error = NULL, delivered = delivered + @delivered, " +
            "last_delivered_us = CASE WHEN @delivered > 0 THEN @now ELSE last_delivered_us END, updated_us = @now " +
            "WHERE workflow_id = @workflowId AND webhook = @webhook AND next_seq = @from",
            new { workflowId, webhook, from, to, delivered, now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task RecordWebhookFailureAsync(string workflowId, string webhook, long at, int attempts, DateTimeOffset nextAttemptAt, string error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursors SET attempts = @attempts, next_attempt_us = @next, last_error = @error, updated_us = @now " +
            "WHERE workflow_id = @workflowId AND webhook = @webhook AND next_seq = @at",
            new { workflowId, webhook, at, attempts, next = ToMicros(nextAttemptAt), error, now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredLedgerEvent>> ReadWebhookEventsAsync(string workflowId, IReadOnlyList<string> types, long from, long before, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (types.Count == 0 || from >= before)
        {
            return [];
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // The range is walked on the primary key (seq); only new events are ever in it, so no extra index is kept on
        // the ledger's hot table for this.
        var args = TypeArgs(types, out var typeList);
        args.AddDynamicParams(new { from, before, workflowId, limit });
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            EventColumns + $" WHERE seq >= @from AND seq < @before AND workflow_id = @workflowId AND type IN ({typeList}) ORDER BY seq LIMIT @limit",
            args, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<long?> FindLastLedgerEventAsync(string workflowId, IReadOnlyList<string> types, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (types.Count == 0)
        {
            return null;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var args = TypeArgs(types, out var typeList);
        args.Add("workflowId", workflowId);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT MAX(seq) FROM ledger_events WHERE workflow_id = @workflowId AND type IN ({typeList})", args, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>One parameter per type (both databases take the same list form; Dapper's list expansion is not portable).</summary>
    private static DynamicParameters TypeArgs(IReadOnlyList<string> types, out string list)
    {
        var args = new DynamicParameters();
        for (var i = 0; i < types.Count; i++)
        {
            args.Add("t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), types[i]);
        }

        list = string.Join(", ", Enumerable.Range(0, types.Count).Select(i => "@t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return args;
    }

    /// <summary>Moves a cursor past an event given up on, in the ledger transaction that records it.</summary>
    private static async Task AbandonWebhookRowAsync(DbConnection connection, DbTransaction tx, WebhookAbandonRow row, CancellationToken cancellationToken)
    {
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursors SET next_seq = @next, attempts = 0, next_attempt_us = NULL, abandoned = abandoned + 1, updated_us = @now " +
            "WHERE workflow_id = @WorkflowId AND webhook = @Webhook AND next_seq = @At",
            new { row.WorkflowId, row.Webhook, row.At, next = row.At + 1, now = ToMicros(row.Now) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (changed != 1)
        {
            throw new StoreConflictException($"Webhook {row.Webhook} of {row.WorkflowId} has moved past event {row.At} already.");
        }
    }

    // Settable properties, not a positional record: the two databases give integers of different widths.
    private sealed class CursorRow
    {
        public string WorkflowId { get; set; } = "";
        public string Webhook { get; set; } = "";
        public long NextSeq { get; set; }
        public long Attempts { get; set; }
        public long? NextAttemptUs { get; set; }
        public string? LastError { get; set; }
        public string? LeaseOwner { get; set; }
        public long? LeaseUntilUs { get; set; }
        public long Delivered { get; set; }
        public long Abandoned { get; set; }
        public long? LastDeliveredUs { get; set; }
        public long UpdatedUs { get; set; }

        public WebhookCursor ToRecord() => new()
        {
            WorkflowId = WorkflowId,
            Webhook = Webhook,
            NextSequence = NextSeq,
            Attempts = (int)Attempts,
            NextAttemptAt = FromMicros(NextAttemptUs),
            LastError = LastError,
            LeaseOwner = LeaseOwner,
            LeaseUntil = FromMicros(LeaseUntilUs),
            Delivered = Delivered,
            Abandoned = Abandoned,
            LastDeliveredAt = FromMicros(LastDeliveredUs),
            UpdatedAt = FromMicros(UpdatedUs),
        };
    }
}
