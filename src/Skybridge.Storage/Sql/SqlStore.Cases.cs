using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: cases and their drafts.</summary>
internal abstract partial class SqlStore
{
    public async Task SaveCaseAsync(StoredCase stored, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stored);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await InsertCaseAsync(connection, null, stored, cancellationToken).ConfigureAwait(false);
    }

    private static Task InsertCaseAsync(DbConnection connection, DbTransaction? tx, StoredCase stored, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cases (id, workflow_id, submitted_by, text, draft, abstained, created_at_us, attributes) VALUES (@Id, @WorkflowId, @SubmittedBy, @Text, @Draft, @Abstained, @At, @Attributes)",
            new { stored.Id, stored.WorkflowId, stored.SubmittedBy, stored.Text, stored.Draft, stored.Attributes, Abstained = stored.Abstained ? 1L : 0L, At = ToMicros(stored.CreatedAt) },
            tx, cancellationToken: cancellationToken));

    public async Task<string?> GetCaseWorkflowAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT workflow_id FROM cases WHERE id = @caseId", new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<StoredCase?> GetCaseAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            "SELECT id AS Id, workflow_id AS WorkflowId, submitted_by AS SubmittedBy, text AS Text, draft AS Draft, abstained AS Abstained, created_at_us AS CreatedAtUs, attributes AS Attributes FROM cases WHERE id = @caseId",
            new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : new StoredCase(row.Id, row.WorkflowId, row.SubmittedBy, row.Text, row.Draft, row.Abstained != 0, FromMicros(row.CreatedAtUs), row.Attributes);
    }

    public async Task<IReadOnlyList<StoredCase>> ListCasesAsync(CaseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        var sql = new System.Text.StringBuilder(
            "SELECT c.id AS Id, c.workflow_id AS WorkflowId, c.submitted_by AS SubmittedBy, c.text AS Text, c.draft AS Draft, c.abstained AS Abstained, " +
            "c.created_at_us AS CreatedAtUs FROM cases c WHERE c.workflow_id = @WorkflowId");
        sql.Append(query.Filter switch
        {
            CaseFilter.Answered => " AND c.abstained = 0",
            CaseFilter.Abstained => " AND c.abstained = 1",
            CaseFilter.PendingApproval or CaseFilter.Executed => " AND EXISTS (SELECT 1 FROM actions a WHERE a.case_id = c.id AND a.status = @Status)",
            _ => "",
        });
        if (query.Before is not null)
        {
            // Keyset paging on (created_at_us, id): the cases_by_workflow index serves it, and a case stored while
            // someone pages is neither shown twice nor skipped.
            sql.Append(" AND (c.created_at_us < @BeforeUs OR (c.created_at_us = @BeforeUs AND c.id < @BeforeId))");
        }

        sql.Append(" ORDER BY c.created_at_us DESC, c.id DESC LIMIT @Limit");
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CaseRow>(new CommandDefinition(sql.ToString(), new
        {
            query.WorkflowId,
            Status = query.Filter == CaseFilter.PendingApproval ? ActionStatuses.PendingApproval : ActionStatuses.Executed,
            BeforeUs = query.Before is null ? 0 : ToMicros(query.Before.CreatedAt),
            BeforeId = query.Before?.Id ?? "",
            query.Limit,
        }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new StoredCase(r.Id, r.WorkflowId, r.SubmittedBy, r.Text, r.Draft, r.Abstained != 0, FromMicros(r.CreatedAtUs)))];
    }

    private sealed class CaseRow
    {
        public string Id { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public string SubmittedBy { get; set; } = "";
        public string Text { get; set; } = "";
        public string Draft { get; set; } = "";
        public long Abstained { get; set; }
        public long CreatedAtUs { get; set; }
        public string? Attributes { get; set; }
    }
}
