using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: budget counters.</summary>
internal abstract partial class SqlStore
{
    // One statement decides and adds: a new window starts at the amount if it fits; an existing one grows only if it
    // stays within the limit (the WHERE of DO UPDATE is checked against the row as locked, never a stale read). No row
    // back means it did not fit and nothing changed. Both SQLite (3.35+) and PostgreSQL accept this form.
    private const string SpendSql =
        "INSERT INTO budget_windows (workflow_id, budget, subject, window_start_us, used) " +
        "SELECT @WorkflowId, @Budget, @Subject, @WindowStartUs, @Amount WHERE @Amount <= @Limit " +
        "ON CONFLICT (workflow_id, budget, subject, window_start_us) " +
        "DO UPDATE SET used = budget_windows.used + excluded.used WHERE budget_windows.used + excluded.used <= @Limit " +
        "RETURNING used";

    private const string UsedSql =
        "SELECT used FROM budget_windows WHERE workflow_id = @WorkflowId AND budget = @Budget AND subject = @Subject AND window_start_us = @WindowStartUs";

    public async Task<long> GetBudgetUsedAsync(BudgetWindowKey window, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(window);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(UsedSql, KeyArgs(window), cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
    }

    public async Task<BudgetSpendResult> SpendBudgetAsync(BudgetSpend spend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spend);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await SpendAsync(connection, tx, spend, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<BudgetSpendResult> SpendAsync(DbConnection connection, DbTransaction tx, BudgetSpend spend, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spend.Amount);
        var key = spend.Window;
        var args = new
        {
            key.WorkflowId, key.Budget, key.Subject, WindowStartUs = ToMicros(key.WindowStart), spend.Amount, spend.Limit,
        };
        var used = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(SpendSql, args, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (used is null)
        {
            var current = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(UsedSql, KeyArgs(key), tx, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
            return new BudgetSpendResult(false, current, spend.Limit);
        }

        if (spend.ActionId is { } actionId)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO budget_spends (action_id, workflow_id, budget, subject, window_start_us, amount) VALUES (@actionId, @WorkflowId, @Budget, @Subject, @WindowStartUs, @Amount)",
                new { actionId, args.WorkflowId, args.Budget, args.Subject, args.WindowStartUs, args.Amount }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return new BudgetSpendResult(true, used.Value, spend.Limit);
    }

    /// <summary>Every spend of a proposal, in its ledger transaction: one that does not fit rolls the proposal back.</summary>
    private static async Task SpendRowAsync(DbConnection connection, DbTransaction tx, BudgetSpendRow row, CancellationToken cancellationToken)
    {
        foreach (var spend in row.Spends)
        {
            var result = await SpendAsync(connection, tx, spend, cancellationToken).ConfigureAwait(false);
            if (!result.Fits)
            {
                throw new BudgetExhaustedException(spend.Window.Budget,
                    $"Budget {spend.Window.Budget} of {spend.Window.WorkflowId} has {result.Left} unit(s) left, the call needs {spend.Amount}: another call spent it first. Nothing was recorded.");
            }
        }
    }

    /// <summary>Gives back what an action spent, once: its spend records go with it.</summary>
    private static async Task ReleaseRowAsync(DbConnection connection, DbTransaction tx, BudgetReleaseRow row, CancellationToken cancellationToken)
    {
        var spends = await connection.QueryAsync<SpendRecord>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, budget AS Budget, subject AS Subject, window_start_us AS WindowStartUs, amount AS Amount FROM budget_spends WHERE action_id = @ActionId",
            new { row.ActionId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var s in spends)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE budget_windows SET used = used - @Amount WHERE workflow_id = @WorkflowId AND budget = @Budget AND subject = @Subject AND window_start_us = @WindowStartUs",
                s, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM budget_spends WHERE action_id = @ActionId", new { row.ActionId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static object KeyArgs(BudgetWindowKey key) => new { key.WorkflowId, key.Budget, key.Subject, WindowStartUs = ToMicros(key.WindowStart) };

    private sealed class SpendRecord
    {
        public string WorkflowId { get; set; } = "";
        public string Budget { get; set; } = "";
        public string Subject { get; set; } = "";
        public long WindowStartUs { get; set; }
        public long Amount { get; set; }
    }
}
