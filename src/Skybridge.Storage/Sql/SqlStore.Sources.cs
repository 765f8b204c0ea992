using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: source document versions: every version kept, so old citations stay checkable.</summary>
internal abstract partial class SqlStore
{
    private const string DocumentColumns =
        "SELECT source AS Source, path AS Path, version AS Version, doc_id AS DocId, title AS Title, status AS Status, superseded_by AS SupersededBy, " +
        "contradicts AS Contradicts, classification AS Classification, text AS Text, ingested_at_us AS IngestedAtUs, removed_at_us AS RemovedAtUs FROM source_documents";

    public async Task<DocumentSync> SyncSourceDocumentsAsync(string workflowId, string source, IReadOnlyList<StoredDocument> documents, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = (await connection.QueryAsync<DocumentRow>(new CommandDefinition(
            DocumentColumns + " WHERE workflow_id = @workflowId AND source = @source AND removed_at_us IS NULL",
            new { workflowId, source }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var now = ToMicros(at);
        int added = 0, unchanged = 0, removed = 0;
        foreach (var document in documents)
        {
            var same = current.FirstOrDefault(c => c.Path == document.Path);
            if (same is not null && same.Version == document.Version)
            {
                unchanged++;
                continue;
            }

            if (same is not null)
            {
                // The older version stays for the citations that point at it; it is just no longer current.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE source_documents SET removed_at_us = @now WHERE workflow_id = @workflowId AND source = @source AND path = @Path AND removed_at_us IS NULL",
                    new { now, workflowId, source, same.Path }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            // A document changed back to an earlier text: that version becomes current again.
            var revived = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE source_documents SET removed_at_us = NULL WHERE workflow_id = @workflowId AND source = @source AND path = @Path AND version = @Version",
                new { workflowId, source, document.Path, document.Version }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (revived == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO source_documents (workflow_id, source, path, version, doc_id, title, status, superseded_by, contradicts, classification, text, ingested_at_us) " +
                    "VALUES (@workflowId, @source, @Path, @Version, @DocId, @Title, @Status, @SupersededBy, @Contradicts, @Classification, @Text, @now)",
                    new
                    {
                        workflowId, source, document.Path, document.Version, document.DocId, document.Title, document.Status, document.SupersededBy,
                        document.Contradicts, document.Classification, document.Text, now,
                    }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            added++;
        }

        var present = documents.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in current.Where(c => !present.Contains(c.Path)))
        {
            removed += await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE source_documents SET removed_at_us = @now WHERE workflow_id = @workflowId AND source = @source AND path = @Path AND removed_at_us IS NULL",
                new { now, workflowId, source, gone.Path }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new DocumentSync(added, unchanged, removed);
    }

    public async Task<IReadOnlyList<StoredDocument>> ListCurrentDocumentsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DocumentRow>(new CommandDefinition(
            DocumentColumns + " WHERE workflow_id = @workflowId AND removed_at_us IS NULL ORDER BY source, path", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<StoredDocument?> GetDocumentVersionAsync(string workflowId, string source, string path, string version, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<DocumentRow>(new CommandDefinition(
            DocumentColumns + " WHERE workflow_id = @workflowId AND source = @source AND path = @path AND version = @version",
            new { workflowId, source, path, version }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();
    }

    public async Task<long> GetDocumentsGenerationAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // New rows raise the id; removals and revivals change the count of current rows or the newest change time.
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(MAX(id), 0) * 1000003 + COUNT(removed_at_us) * 7919 + COALESCE(MAX(removed_at_us), 0) % 1000003 FROM source_documents WHERE workflow_id = @workflowId",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private sealed class DocumentRow
    {
        public string Source { get; set; } = "";
        public string Path { get; set; } = "";
        public string Version { get; set; } = "";
        public string DocId { get; set; } = "";
        public string Title { get; set; } = "";
        public string Status { get; set; } = "";
        public string? SupersededBy { get; set; }
        public string Contradicts { get; set; } = "";
        public string Classification { get; set; } = "";
        public string Text { get; set; } = "";
        public long IngestedAtUs { get; set; }
        public long? RemovedAtUs { get; set; }

        public StoredDocument ToRecord() => new()
        {
            Source = Source, Path = Path, Version = Version, DocId = DocId, Title = Title, Status = Status, SupersededBy = SupersededBy,
            Contradicts = Contradicts, Classification = Classification, Text = Text, IngestedAt = FromMicros(IngestedAtUs),
            RemovedAt = RemovedAtUs is { } r ? FromMicros(r) : null,
        };
    }
}
