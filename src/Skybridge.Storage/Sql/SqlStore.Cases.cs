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

    public async Task<StoredCase?> GetCaseAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            "SELECT id AS Id, workflow_id AS WorkflowId, submitted_by AS SubmittedBy, text AS Text, draft AS Draft, abstained AS Abstained, created_at_us AS CreatedAtUs, attributes AS Attributes FROM cases WHERE id = @caseId",
            new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : new StoredCase(row.Id, row.WorkflowId, row.SubmittedBy, row.Text, row.Draft, row.Abstained != 0, FromMicros(row.CreatedAtUs), row.Attributes);
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
