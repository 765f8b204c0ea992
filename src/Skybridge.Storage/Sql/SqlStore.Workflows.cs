using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: workflows, their manifest versions, activations, autonomy grants and halts.</summary>
internal abstract partial class SqlStore
{
    private const string WorkflowColumns =
        "SELECT w.id AS Id, w.name AS Name, w.active_version AS ActiveVersion, w.latest_version AS LatestVersion, w.created_at_us AS CreatedAtUs, v.autonomy_level AS AutonomyLevel " +
        "FROM workflows w LEFT JOIN manifest_versions v ON v.workflow_id = w.id AND v.version = w.active_version";

    private const string VersionColumns =
        "SELECT workflow_id AS WorkflowId, version AS Version, content_hash AS ContentHash, autonomy_level AS AutonomyLevel, yaml AS Yaml, published_by AS PublishedBy, published_at_us AS PublishedAtUs";

    private const string ActivationColumns =
        "SELECT id AS Id, workflow_id AS WorkflowId, version AS Version, previous_version AS PreviousVersion, kind AS Kind, actor AS Actor, at_us AS AtUs, parent_id AS ParentId, gate AS Gate, gate_run_id AS GateRunId, gate_reason AS GateReason FROM activations";

    public async Task<PublishResult> PublishManifestAsync(NewManifestVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workflows (id, name, active_version, latest_version, created_at_us) VALUES (@WorkflowId, @WorkflowName, NULL, 0, @At) ON CONFLICT (id) DO NOTHING",
            new { version.WorkflowId, version.WorkflowName, At = ToMicros(version.PublishedAt) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // Lock the workflow row so that two concurrent publishes get consecutive numbers, never the same one.
        var latest = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT latest_version FROM workflows WHERE id = @WorkflowId{ForUpdate}", new { version.WorkflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);

        var existing = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            VersionColumns + " FROM manifest_versions WHERE workflow_id = @WorkflowId AND content_hash = @ContentHash",
            new { version.WorkflowId, version.ContentHash }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is not null)
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new PublishResult(PublishOutcome.AlreadyPublished, existing.ToRecord(withYaml: false));
        }

        var number = (int)latest + 1;
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO manifest_versions (workflow_id, version, content_hash, autonomy_level, yaml, published_by, published_at_us) " +
            "VALUES (@WorkflowId, @Number, @ContentHash, @AutonomyLevel, @Yaml, @PublishedBy, @At)",
            new { version.WorkflowId, Number = number, version.ContentHash, version.AutonomyLevel, version.Yaml, version.PublishedBy, At = ToMicros(version.PublishedAt) },
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE workflows SET latest_version = @Number, name = @WorkflowName WHERE id = @WorkflowId",
            new { Number = number, version.WorkflowName, version.WorkflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);

        return new PublishResult(PublishOutcome.Published, new ManifestVersion
        {
            WorkflowId = version.WorkflowId,
            Version = number,
            ContentHash = version.ContentHash,
            AutonomyLevel = version.AutonomyLevel,
            PublishedBy = version.PublishedBy,
            PublishedAt = FromMicros(ToMicros(version.PublishedAt)),
        });
    }

    public async Task<IReadOnlyList<WorkflowSummary>> ListWorkflowsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<WorkflowRow>(new CommandDefinition(WorkflowColumns + " ORDER BY w.id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<WorkflowSummary?> GetWorkflowAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<WorkflowRow>(new CommandDefinition(WorkflowColumns + " WHERE w.id = @workflowId", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ManifestVersion>> ListVersionsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            VersionColumns + " FROM manifest_versions WHERE workflow_id = @workflowId ORDER BY version DESC", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord(withYaml: false)).ToList();
    }

    public async Task<ManifestVersion?> GetVersionAsync(string workflowId, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            VersionColumns + " FROM manifest_versions WHERE workflow_id = @workflowId AND version = @version", new { workflowId, version }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord(withYaml: true);
    }

    public async Task<ActivationResult> ActivateAsync(string workflowId, int version, string actor, ActivationBasis? basis, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var workflow = await LockWorkflowAsync(connection, tx, workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow is null)
        {
            return new ActivationResult(ActivationOutcome.UnknownWorkflow);
        }

        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM manifest_versions WHERE workflow_id = @workflowId AND version = @version", new { workflowId, version }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (exists == 0)
        {
            return new ActivationResult(ActivationOutcome.UnknownVersion);
        }

        if (workflow.ActiveVersion == version)
        {
            return new ActivationResult(ActivationOutcome.AlreadyActive);
        }

        // The activation history is a stack: activating pushes onto the current head, rolling back pops it.
        var head = await HeadAsync(connection, tx, workflowId, cancellationToken).ConfigureAwait(false);
        var activation = await RecordActivationAsync(connection, tx, workflowId, version, (int?)workflow.ActiveVersion, "activate", actor, head?.Id, basis, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ActivationResult(ActivationOutcome.Activated, activation);
    }

    public async Task<ActivationResult> RollbackAsync(string workflowId, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var workflow = await LockWorkflowAsync(connection, tx, workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow is null)
        {
            return new ActivationResult(ActivationOutcome.UnknownWorkflow);
        }

        var head = await HeadAsync(connection, tx, workflowId, cancellationToken).ConfigureAwait(false);
        if (head?.ParentId is not { } parentId)
        {
            return new ActivationResult(ActivationOutcome.NothingToRollBackTo);
        }

        var target = await connection.QuerySingleAsync<ActivationRow>(new CommandDefinition(
            ActivationColumns + " WHERE id = @parentId", new { parentId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var activation = await RecordActivationAsync(connection, tx, workflowId, (int)target.Version, (int?)workflow.ActiveVersion, "rollback", actor, target.ParentId, null, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ActivationResult(ActivationOutcome.Activated, activation);
    }

    private async Task<WorkflowRow?> LockWorkflowAsync(DbConnection connection, DbTransaction tx, string workflowId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<WorkflowRow>(new CommandDefinition(
            $"SELECT id AS Id, name AS Name, active_version AS ActiveVersion, latest_version AS LatestVersion, created_at_us AS CreatedAtUs FROM workflows WHERE id = @workflowId{ForUpdate}",
            new { workflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);

    private static async Task<ActivationRow?> HeadAsync(DbConnection connection, DbTransaction tx, string workflowId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<ActivationRow>(new CommandDefinition(
            ActivationColumns + " WHERE workflow_id = @workflowId ORDER BY id DESC LIMIT 1", new { workflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);

    private static async Task<Activation> RecordActivationAsync(
        DbConnection connection, DbTransaction tx, string workflowId, int version, int? previous, string kind, string actor, long? parentId, ActivationBasis? basis, CancellationToken cancellationToken)
    {
        var at = ToMicros(DateTimeOffset.UtcNow);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO activations (workflow_id, version, previous_version, kind, actor, at_us, parent_id, gate, gate_run_id, gate_reason) VALUES (@workflowId, @version, @previous, @kind, @actor, @at, @parentId, @gate, @runId, @reason)",
            new { workflowId, version, previous, kind, actor, at, parentId, gate = basis?.Gate, runId = basis?.RunId, reason = basis?.Reason }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE workflows SET active_version = @version WHERE id = @workflowId", new { version, workflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new Activation { WorkflowId = workflowId, Version = version, PreviousVersion = previous, Kind = kind, Actor = actor, At = FromMicros(at), Basis = basis };
    }

    public async Task<IReadOnlyList<Activation>> ListActivationsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActivationRow>(new CommandDefinition(
            ActivationColumns + " WHERE workflow_id = @workflowId ORDER BY id DESC", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new Activation
        {
            WorkflowId = r.WorkflowId, Version = (int)r.Version, PreviousVersion = (int?)r.PreviousVersion, Kind = r.Kind, Actor = r.Actor, At = FromMicros(r.AtUs),
            Basis = r.Gate is null ? null : new ActivationBasis(r.Gate, r.GateRunId, r.GateReason),
        }).ToList();
    }

    public async Task RecordAutonomyGrantAsync(AutonomyGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO autonomy_grants (workflow_id, level, granted_by, granted_at_us, evidence) VALUES (@WorkflowId, @Level, @GrantedBy, @At, @Evidence)",
            new { grant.WorkflowId, grant.Level, grant.GrantedBy, At = ToMicros(grant.GrantedAt), grant.Evidence }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AutonomyGrant>> ListAutonomyGrantsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<GrantRow>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, level AS Level, granted_by AS GrantedBy, granted_at_us AS GrantedAtUs, evidence AS Evidence FROM autonomy_grants WHERE workflow_id = @workflowId ORDER BY id",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new AutonomyGrant { WorkflowId = r.WorkflowId, Level = r.Level, GrantedBy = r.GrantedBy, GrantedAt = FromMicros(r.GrantedAtUs), Evidence = r.Evidence }).ToList();
    }

    public async Task<bool> HaltWorkflowAsync(WorkflowHalt halt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(halt);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var halted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workflow_halts (workflow_id, halted_by, reason, at_us) SELECT @WorkflowId, @HaltedBy, @Reason, @At " +
            "WHERE EXISTS (SELECT 1 FROM workflows WHERE id = @WorkflowId) ON CONFLICT (workflow_id) DO NOTHING",
            new { halt.WorkflowId, halt.HaltedBy, halt.Reason, At = ToMicros(halt.At) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        if (halted)
        {
            await RaiseCutoffAsync(connection, tx, new TokenCutoff(TokenCutoffKinds.Workflow, halt.WorkflowId, halt.At), cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return halted;
    }

    public async Task<bool> ResumeWorkflowAsync(string workflowId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        // One transaction, as for the halt: a node that reads the resume also reads its cutoff, and a crash between
        // the two can never leave a token issued during the halt valid after it.
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var resumed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM workflow_halts WHERE workflow_id = @workflowId", new { workflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        if (resumed)
        {
            await RaiseCutoffAsync(connection, tx, new TokenCutoff(TokenCutoffKinds.Workflow, workflowId, at), cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return resumed;
    }

    public async Task<IReadOnlyList<WorkflowHalt>> ListHaltsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<HaltRow>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, halted_by AS HaltedBy, reason AS Reason, at_us AS AtUs FROM workflow_halts ORDER BY workflow_id",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new WorkflowHalt(r.WorkflowId, r.HaltedBy, r.Reason, FromMicros(r.AtUs))).ToList();
    }

    private sealed class WorkflowRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public long? ActiveVersion { get; set; }
        public long LatestVersion { get; set; }
        public long CreatedAtUs { get; set; }
        public string? AutonomyLevel { get; set; }

        public WorkflowSummary ToRecord() => new()
        {
            Id = Id, Name = Name, ActiveVersion = (int?)ActiveVersion, LatestVersion = (int)LatestVersion, CreatedAt = FromMicros(CreatedAtUs), AutonomyLevel = AutonomyLevel,
        };
    }

    private sealed class VersionRow
    {
        public string WorkflowId { get; set; } = "";
        public long Version { get; set; }
        public string ContentHash { get; set; } = "";
        public string AutonomyLevel { get; set; } = "";
        public string Yaml { get; set; } = "";
        public string PublishedBy { get; set; } = "";
        public long PublishedAtUs { get; set; }

        public ManifestVersion ToRecord(bool withYaml) => new()
        {
            WorkflowId = WorkflowId, Version = (int)Version, ContentHash = ContentHash, AutonomyLevel = AutonomyLevel,
            PublishedBy = PublishedBy, PublishedAt = FromMicros(PublishedAtUs), Yaml = withYaml ? Yaml : "",
        };
    }

    private sealed class ActivationRow
    {
        public long Id { get; set; }
        public string WorkflowId { get; set; } = "";
        public long Version { get; set; }
        public long? PreviousVersion { get; set; }
        public string Kind { get; set; } = "";
        public string Actor { get; set; } = "";
        public long AtUs { get; set; }
        public long? ParentId { get; set; }
        public string? Gate { get; set; }
        public string? GateRunId { get; set; }
        public string? GateReason { get; set; }
    }

    private sealed class HaltRow
    {
        public string WorkflowId { get; set; } = "";
        public string HaltedBy { get; set; } = "";
        public string Reason { get; set; } = "";
        public long AtUs { get; set; }
    }
}
