using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: governed actions and their approvals.</summary>
internal abstract partial class SqlStore
{
    private const string ActionColumns =
        "SELECT id AS Id, workflow_id AS WorkflowId, manifest_version AS ManifestVersion, case_id AS CaseId, action AS Action, parameters AS Parameters, " +
        "call_digest AS CallDigest, requester AS Requester, requester_key AS RequesterKey, idempotency_key AS IdempotencyKey, status AS Status, " +
        "detail AS Detail, approval_id AS ApprovalId, created_at_us AS CreatedAtUs, updated_at_us AS UpdatedAtUs FROM actions";

    private const string ApprovalColumns =
        "SELECT id AS Id, action_id AS ActionId, workflow_id AS WorkflowId, case_id AS CaseId, action AS Action, call_digest AS CallDigest, status AS Status, " +
        "required_approvers AS RequiredApprovers, eligible AS Eligible, requesters AS Requesters, votes AS Votes, revision AS Revision, " +
        "created_at_us AS CreatedAtUs, expires_at_us AS ExpiresAtUs, closed_at_us AS ClosedAtUs FROM approvals";

    // A null detail keeps the one stored: a claim (approved -> executing) must not erase the policy's explanation.
    private const string TransitionSql =
        "UPDATE actions SET status = @to, detail = COALESCE(@detail, detail), updated_at_us = @at WHERE id = @actionId AND status = @from";

    public async Task<StoredAction?> GetActionAsync(string actionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE id = @actionId", new { actionId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async Task<StoredAction?> FindActionAsync(string requester, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE requester = @requester AND idempotency_key = @idempotencyKey", new { requester, idempotencyKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<StoredAction>> ListCaseActionsAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE case_id = @caseId ORDER BY created_at_us, id", new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredAction>> ListActionsOfCasesAsync(IReadOnlyCollection<string> caseIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caseIds);
        if (caseIds.Count == 0)
        {
            return [];
        }

        // One named parameter per id: Npgsql takes a list as one array parameter (which IN does not accept), SQLite has
        // no arrays, and an explicit list reads the same on both.
        var ids = caseIds.Distinct(StringComparer.Ordinal).ToArray();
        var parameters = new DynamicParameters();
        for (var i = 0; i < ids.Length; i++)
        {
            parameters.Add("c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), ids[i]);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE case_id IN (" + string.Join(", ", ids.Select((_, i) => "@c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ") ORDER BY created_at_us, id",
            parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredAction>> ListActionsByStatusAsync(string status, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE status = @status ORDER BY created_at_us, id LIMIT @limit", new { status, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredAction>> ListActionsByStatusAsync(string status, DateTimeOffset updatedBefore, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActionRow>(new CommandDefinition(
            ActionColumns + " WHERE status = @status AND updated_at_us < @before ORDER BY created_at_us, id LIMIT @limit",
            new { status, before = ToMicros(updatedBefore), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> TransitionActionAsync(string actionId, string from, string to, string? detail, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // One conditional statement, no read first: of two nodes claiming the same action, the database lets exactly
        // one UPDATE match the old status.
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            TransitionSql, new { actionId, from, to, detail, at = ToMicros(at) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task<StoredApproval?> GetApprovalAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(new CommandDefinition(
            ApprovalColumns + " WHERE id = @approvalId", new { approvalId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<StoredApproval>> ListApprovalsAsync(ApprovalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        if (query.WorkflowId is { } workflowId)
        {
            conditions.Add("workflow_id = @workflowId");
            parameters.Add("workflowId", workflowId);
        }

        if (query.Status is { } status)
        {
            conditions.Add("status = @status");
            parameters.Add("status", status);
        }

        if (query.Action is { } action)
        {
            conditions.Add("action = @action");
            parameters.Add("action", action);
        }

        if (query.CreatedBefore is { } before)
        {
            conditions.Add("created_at_us < @before");
            parameters.Add("before", ToMicros(before));
        }

        parameters.Add("limit", query.Limit);
        var where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ApprovalRow>(new CommandDefinition(
            ApprovalColumns + where + " ORDER BY created_at_us, id LIMIT @limit", parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private const string InsertActionSql =
        "INSERT INTO actions (id, workflow_id, manifest_version, case_id, action, parameters, call_digest, requester, requester_key, idempotency_key, status, detail, approval_id, created_at_us, updated_at_us) " +
        "VALUES (@Id, @WorkflowId, @ManifestVersion, @CaseId, @Action, @Parameters, @CallDigest, @Requester, @RequesterKey, @IdempotencyKey, @Status, @Detail, @ApprovalId, @CreatedAtUs, @UpdatedAtUs)";

    /// <summary>A new action in the ledger transaction; a second proposal under the same requester's key is a conflict.</summary>
    private async Task InsertActionAsync(DbConnection connection, DbTransaction tx, StoredAction a, CancellationToken cancellationToken)
    {
        // A plain command with its parameters named as in the text, kept prepared where the store keeps one for
        // appends: every governed call writes this row while the ledger's writer holds the head, where a mapping
        // layer's (or SQLite's compiler's) per-call work is paid by every caller waiting.
        await using var statement = AppendStatement(connection, tx, InsertActionSql);
        var insert = statement.Command;
        SetParameter(insert, "@Id", a.Id);
        SetParameter(insert, "@WorkflowId", a.WorkflowId);
        SetParameter(insert, "@ManifestVersion", a.ManifestVersion);
        SetParameter(insert, "@CaseId", a.CaseId);
        SetParameter(insert, "@Action", a.Action);
        SetParameter(insert, "@Parameters", a.Parameters);
        SetParameter(insert, "@CallDigest", a.CallDigest);
        SetParameter(insert, "@Requester", a.Requester);
        SetParameter(insert, "@RequesterKey", a.RequesterKey);
        SetParameter(insert, "@IdempotencyKey", a.IdempotencyKey);
        SetParameter(insert, "@Status", a.Status);
        SetParameter(insert, "@Detail", (object?)a.Detail ?? DBNull.Value);
        SetParameter(insert, "@ApprovalId", (object?)a.ApprovalId ?? DBNull.Value);
        SetParameter(insert, "@CreatedAtUs", ToMicros(a.CreatedAt));
        SetParameter(insert, "@UpdatedAtUs", ToMicros(a.UpdatedAt));
        try
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new StoreConflictException(
                $"Action {a.Id} was not recorded: {a.Requester} already proposed an action under this idempotency key (or the action id is taken). Look up the first proposal.");
        }
    }

    private static async Task InsertApprovalAsync(DbConnection connection, DbTransaction tx, StoredApproval a, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO approvals (id, action_id, workflow_id, case_id, action, call_digest, status, required_approvers, eligible, requesters, votes, revision, created_at_us, expires_at_us, closed_at_us) " +
                "VALUES (@Id, @ActionId, @WorkflowId, @CaseId, @Action, @CallDigest, @Status, @RequiredApprovers, @Eligible, @Requesters, @Votes, @Revision, @CreatedAtUs, @ExpiresAtUs, @ClosedAtUs)",
                new
                {
                    a.Id, a.ActionId, a.WorkflowId, a.CaseId, a.Action, a.CallDigest, a.Status, a.RequiredApprovers, a.Eligible, a.Requesters, a.Votes, a.Revision,
                    CreatedAtUs = ToMicros(a.CreatedAt), ExpiresAtUs = ToMicros(a.ExpiresAt), ClosedAtUs = a.ClosedAt is { } closed ? ToMicros(closed) : (long?)null,
                },
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new StoreConflictException($"Approval {a.Id} was not recorded: an approval with this id already exists.");
        }
    }

    /// <summary>An approval's new state, only over the revision the decider read: two decisions at once, one wins.</summary>
    private static async Task UpdateApprovalAsync(DbConnection connection, DbTransaction tx, ApprovalUpdateRow update, CancellationToken cancellationToken)
    {
        var a = update.Approval;
        if (a.Revision <= update.ExpectedRevision)
        {
            // The next writer compares against the revision written here: one that does not move on would let a
            // decider holding a stale copy overwrite this change.
            throw new ArgumentException($"Approval {a.Id}: the new revision ({a.Revision}) must be greater than the expected one ({update.ExpectedRevision}).", nameof(update));
        }

        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE approvals SET status = @Status, votes = @Votes, revision = @Revision, closed_at_us = @ClosedAtUs WHERE id = @Id AND revision = @ExpectedRevision",
            new { a.Id, a.Status, a.Votes, a.Revision, ClosedAtUs = a.ClosedAt is { } closed ? ToMicros(closed) : (long?)null, update.ExpectedRevision },
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (changed != 1)
        {
            throw new StoreConflictException(
                $"Approval {a.Id} was not updated: it is no longer at revision {update.ExpectedRevision} (someone else decided it first), or it does not exist. Nothing was recorded.");
        }
    }

    private static async Task RecheckActionRowAsync(DbConnection connection, DbTransaction tx, ActionRecheckRow r, CancellationToken cancellationToken)
    {
        var a = r.Action;
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE actions SET status = @status, detail = @detail, call_digest = @digest, manifest_version = @version, approval_id = @approvalId, updated_at_us = @at " +
            "WHERE id = @actionId AND status = @from",
            new { status = a.Status, detail = a.Detail, digest = a.CallDigest, version = a.ManifestVersion, approvalId = a.ApprovalId, at = ToMicros(a.UpdatedAt), actionId = a.Id, from = r.From },
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (changed != 1)
        {
            throw new StoreConflictException($"Action {a.Id} was not decided again: it is no longer {r.From} (another node did it first). Nothing was recorded.");
        }
    }

    private async Task TransitionActionRowAsync(DbConnection connection, DbTransaction tx, ActionTransitionRow t, CancellationToken cancellationToken)
    {
        // Written by every executed call while the ledger's writer holds the head: a plain command, as for the insert.
        await using var statement = AppendStatement(connection, tx, TransitionSql);
        var update = statement.Command;
        SetParameter(update, "@to", t.To);
        SetParameter(update, "@detail", (object?)t.Detail ?? DBNull.Value);
        SetParameter(update, "@at", ToMicros(t.At));
        SetParameter(update, "@actionId", t.ActionId);
        SetParameter(update, "@from", t.From);
        var changed = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (changed != 1)
        {
            throw new StoreConflictException(
                $"Action {t.ActionId} was not moved to {t.To}: it is no longer {t.From} (another node changed it first), or it does not exist. Nothing was recorded.");
        }
    }

    /// <summary>
    /// A unique or primary key violation, in either database's words (SQLite's extended result codes; PostgreSQL's
    /// SQLSTATE 23505). Other constraint failures (NOT NULL, a malformed row) are bugs and stay as they are.
    /// </summary>
    private static bool IsUniqueViolation(DbException exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is SQLitePCL.raw.SQLITE_CONSTRAINT_UNIQUE or SQLitePCL.raw.SQLITE_CONSTRAINT_PRIMARYKEY,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    private sealed class ActionRow
    {
        public string Id { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public long ManifestVersion { get; set; }
        public string CaseId { get; set; } = "";
        public string Action { get; set; } = "";
        public string Parameters { get; set; } = "";
        public string CallDigest { get; set; } = "";
        public string Requester { get; set; } = "";
        public string RequesterKey { get; set; } = "";
        public string IdempotencyKey { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Detail { get; set; }
        public string? ApprovalId { get; set; }
        public long CreatedAtUs { get; set; }
        public long UpdatedAtUs { get; set; }

        public StoredAction ToRecord() => new()
        {
            Id = Id, WorkflowId = WorkflowId, ManifestVersion = (int)ManifestVersion, CaseId = CaseId, Action = Action, Parameters = Parameters,
            CallDigest = CallDigest, Requester = Requester, RequesterKey = RequesterKey, IdempotencyKey = IdempotencyKey, Status = Status,
            Detail = Detail, ApprovalId = ApprovalId, CreatedAt = FromMicros(CreatedAtUs), UpdatedAt = FromMicros(UpdatedAtUs),
        };
    }

    private sealed class ApprovalRow
    {
        public string Id { get; set; } = "";
        public string ActionId { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public string CaseId { get; set; } = "";
        public string Action { get; set; } = "";
        public string CallDigest { get; set; } = "";
        public string Status { get; set; } = "";
        public long RequiredApprovers { get; set; }
        public string Eligible { get; set; } = "";
        public string Requesters { get; set; } = "";
        public string Votes { get; set; } = "";
        public long Revision { get; set; }
        public long CreatedAtUs { get; set; }
        public long ExpiresAtUs { get; set; }
        public long? ClosedAtUs { get; set; }

        public StoredApproval ToRecord() => new()
        {
            Id = Id, ActionId = ActionId, WorkflowId = WorkflowId, CaseId = CaseId, Action = Action, CallDigest = CallDigest, Status = Status,
            RequiredApprovers = (int)RequiredApprovers, Eligible = Eligible, Requesters = Requesters, Votes = Votes, Revision = (int)Revision,
            CreatedAt = FromMicros(CreatedAtUs), ExpiresAt = FromMicros(ExpiresAtUs), ClosedAt = FromMicros(ClosedAtUs),
        };
    }
}
