using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>
/// The store contract over SQL, shared by both databases. The SQL here is the common subset of SQLite and
/// PostgreSQL (ON CONFLICT, RETURNING); what differs (connections, locking, error messages) lives in the subclasses.
/// Times are stored as microseconds since the Unix epoch (UTC) so both databases round-trip them exactly.
/// </summary>
internal abstract partial class SqlStore : ISkybridgeStore
{
    public abstract string Provider { get; }

    public abstract string Description { get; }

    /// <summary>Opens a connection, turning "cannot reach / not allowed / not a database" into <see cref="StoreUnavailableException"/>.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Row lock suffix for read-then-write in a transaction (PostgreSQL); SQLite writers are already serialised.</summary>
    protected abstract string ForUpdate { get; }

    /// <summary>Takes the cross-process migration lock inside <paramref name="transaction"/>.</summary>
    protected abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The folder of embedded migrations for this dialect (<c>Sqlite</c> or <c>Postgres</c>).</summary>
    protected abstract string Dialect { get; }

    public abstract ValueTask DisposeAsync();

    internal static long ToMicros(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    internal static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero);

    private static DateTimeOffset? FromMicros(long? micros) => micros is { } m ? FromMicros(m) : null;

    private static string Key(string userName) => userName.ToLowerInvariant();

    // ---- Schema ---------------------------------------------------------------------------------

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var migrations = Migrations.Load(Dialect);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
            transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var applied = (await connection.QueryAsync<AppliedMigration>(new CommandDefinition(
            "SELECT version AS Version, name AS Name, checksum AS Checksum FROM schema_migrations ORDER BY version",
            transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToDictionary(m => (int)m.Version);

        var newest = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (applied.Count > 0 && applied.Keys.Max() > newest)
        {
            throw new StoreUnavailableException(
                $"The store at {Description} has schema version {applied.Keys.Max()}, newer than this Skybridge knows ({newest}). " +
                "It was written by a newer Skybridge: upgrade this one, or point it at another store.");
        }

        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var done))
            {
                if (!string.Equals(done.Checksum, migration.Checksum, StringComparison.Ordinal))
                {
                    throw new StoreUnavailableException(
                        $"Migration {migration.Version} ({migration.Name}) in {Description} differs from the one this Skybridge ships " +
                        "(checksum mismatch). The schema was changed by hand or by another build; restore it from a backup.");
                }

                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES (@Version, @Name, @Checksum, @At)",
                new { migration.Version, migration.Name, migration.Checksum, At = ToMicros(DateTimeOffset.UtcNow) },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException) when (!cancellationToken.IsCancellationRequested)
        {
            return 0; // No migrations table yet: an empty store.
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or DbException)
        {
            return false;
        }
    }

    // ---- Workflows and versions -------------------------------------------------------------------

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

    private const string WorkflowColumns =
        "SELECT w.id AS Id, w.name AS Name, w.active_version AS ActiveVersion, w.latest_version AS LatestVersion, w.created_at_us AS CreatedAtUs, v.autonomy_level AS AutonomyLevel " +
        "FROM workflows w LEFT JOIN manifest_versions v ON v.workflow_id = w.id AND v.version = w.active_version";

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

    private const string VersionColumns =
        "SELECT workflow_id AS WorkflowId, version AS Version, content_hash AS ContentHash, autonomy_level AS AutonomyLevel, yaml AS Yaml, published_by AS PublishedBy, published_at_us AS PublishedAtUs";

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

    private const string ActivationColumns =
        "SELECT id AS Id, workflow_id AS WorkflowId, version AS Version, previous_version AS PreviousVersion, kind AS Kind, actor AS Actor, at_us AS AtUs, parent_id AS ParentId FROM activations";

    public async Task<ActivationResult> ActivateAsync(string workflowId, int version, string actor, CancellationToken cancellationToken = default)
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
        var activation = await RecordActivationAsync(connection, tx, workflowId, version, (int?)workflow.ActiveVersion, "activate", actor, head?.Id, cancellationToken).ConfigureAwait(false);
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
        var activation = await RecordActivationAsync(connection, tx, workflowId, (int)target.Version, (int?)workflow.ActiveVersion, "rollback", actor, target.ParentId, cancellationToken).ConfigureAwait(false);
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
        DbConnection connection, DbTransaction tx, string workflowId, int version, int? previous, string kind, string actor, long? parentId, CancellationToken cancellationToken)
    {
        var at = ToMicros(DateTimeOffset.UtcNow);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO activations (workflow_id, version, previous_version, kind, actor, at_us, parent_id) VALUES (@workflowId, @version, @previous, @kind, @actor, @at, @parentId)",
            new { workflowId, version, previous, kind, actor, at, parentId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE workflows SET active_version = @version WHERE id = @workflowId", new { version, workflowId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new Activation { WorkflowId = workflowId, Version = version, PreviousVersion = previous, Kind = kind, Actor = actor, At = FromMicros(at) };
    }

    public async Task<IReadOnlyList<Activation>> ListActivationsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ActivationRow>(new CommandDefinition(
            ActivationColumns + " WHERE workflow_id = @workflowId ORDER BY id DESC", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new Activation
        {
            WorkflowId = r.WorkflowId, Version = (int)r.Version, PreviousVersion = (int?)r.PreviousVersion, Kind = r.Kind, Actor = r.Actor, At = FromMicros(r.AtUs),
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

    // ---- People and roles -------------------------------------------------------------------------

    private const string UserColumns =
        "SELECT user_name AS UserName, display_name AS DisplayName, password_hash AS PasswordHash, failed_sign_ins AS FailedSignIns, " +
        "locked_until_us AS LockedUntilUs, last_sign_in_us AS LastSignInUs, created_at_us AS CreatedAtUs FROM users";

    public async Task<bool> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (user_name, user_name_key, display_name, password_hash, failed_sign_ins, created_at_us) VALUES (@UserName, @Key, @DisplayName, @PasswordHash, 0, @At) ON CONFLICT (user_name_key) DO NOTHING",
            new { user.UserName, Key = Key(user.UserName), user.DisplayName, user.PasswordHash, At = ToMicros(user.CreatedAt) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return inserted == 1;
    }

    public async Task<StoredUser?> GetUserAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            UserColumns + " WHERE user_name_key = @key", new { key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();
    }

    public async Task<IReadOnlyList<StoredUser>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(UserColumns + " ORDER BY user_name_key", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> SetPasswordHashAsync(string userName, string passwordHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash, failed_sign_ins = 0, locked_until_us = NULL WHERE user_name_key = @key",
            new { passwordHash, key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<StoredUser?> RecordSignInFailureAsync(string userName, DateTimeOffset now, int maxFailures, TimeSpan lockout, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // One statement, so concurrent failures cannot both read the same count and under-count.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET " +
            "locked_until_us = CASE WHEN failed_sign_ins + 1 >= @maxFailures THEN @until ELSE locked_until_us END, " +
            "failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= @maxFailures THEN 0 ELSE failed_sign_ins + 1 END " +
            "WHERE user_name_key = @key",
            new { maxFailures, until = ToMicros(now + lockout), key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            UserColumns + " WHERE user_name_key = @key", new { key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();
    }

    public async Task RecordSignInSuccessAsync(string userName, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET failed_sign_ins = 0, locked_until_us = NULL, last_sign_in_us = @now WHERE user_name_key = @key",
            new { now = ToMicros(now), key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task CreateSessionAsync(string idHash, string userName, DateTimeOffset at, DateTimeOffset forgetBefore, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sessions WHERE created_at_us < @forgetBefore", new { forgetBefore = ToMicros(forgetBefore) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sessions (id_hash, user_name_key, created_at_us, revoked_at_us) VALUES (@idHash, @key, @at, NULL)",
            new { idHash, key = Key(userName), at = ToMicros(at) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<bool> IsSessionActiveAsync(string idHash, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM sessions WHERE id_hash = @idHash AND revoked_at_us IS NULL AND created_at_us >= @notBefore",
            new { idHash, notBefore = ToMicros(notBefore) }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> RevokeSessionAsync(string idHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at_us = @at WHERE id_hash = @idHash AND revoked_at_us IS NULL",
            new { idHash, at = ToMicros(at) }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> GrantRoleAsync(string userName, string workflowId, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO role_grants (user_name_key, workflow_id, role) SELECT user_name_key, @workflowId, @role FROM users WHERE user_name_key = @key " +
            "ON CONFLICT (user_name_key, workflow_id, role) DO NOTHING",
            new { workflowId, role, key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> RevokeRoleAsync(string userName, string workflowId, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // A grant revoked by hand is no longer the group mapping's either.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mapped_role_grants WHERE user_name_key = @key AND workflow_id = @workflowId AND role = @role",
            new { workflowId, role, key = Key(userName) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM role_grants WHERE user_name_key = @key AND workflow_id = @workflowId AND role = @role",
            new { workflowId, role, key = Key(userName) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public async Task<MappedRoleChanges> SyncMappedRolesAsync(string userName, IReadOnlyCollection<(string WorkflowId, string Role)> wanted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var key = Key(userName);
        var held = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, role AS Role FROM role_grants WHERE user_name_key = @key", new { key }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(g => (g.WorkflowId, g.Role)).ToHashSet();
        var mapped = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, role AS Role FROM mapped_role_grants WHERE user_name_key = @key", new { key }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(g => (g.WorkflowId, g.Role)).ToHashSet();
        var granted = new List<(string, string)>();
        var revoked = new List<(string, string)>();
        foreach (var (workflowId, role) in wanted.Where(w => !held.Contains(w)))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO role_grants (user_name_key, workflow_id, role) VALUES (@key, @workflowId, @role)", new { key, workflowId, role }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO mapped_role_grants (user_name_key, workflow_id, role) VALUES (@key, @workflowId, @role) ON CONFLICT DO NOTHING", new { key, workflowId, role }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            granted.Add((workflowId, role));
        }

        // Only what the mapping granted goes with the group; a grant made by hand was never in mapped_role_grants.
        foreach (var (workflowId, role) in mapped.Where(m => !wanted.Contains(m)))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM mapped_role_grants WHERE user_name_key = @key AND workflow_id = @workflowId AND role = @role", new { key, workflowId, role }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM role_grants WHERE user_name_key = @key AND workflow_id = @workflowId AND role = @role", new { key, workflowId, role }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            revoked.Add((workflowId, role));
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MappedRoleChanges(granted, revoked);
    }

    private const string GrantColumns =
        "SELECT u.user_name AS UserName, g.workflow_id AS WorkflowId, g.role AS Role FROM role_grants g JOIN users u ON u.user_name_key = g.user_name_key";

    public async Task<IReadOnlyList<RoleGrant>> ListRoleGrantsForUserAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<GrantListRow>(new CommandDefinition(
            GrantColumns + " WHERE g.user_name_key = @key ORDER BY g.workflow_id, g.role", new { key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new RoleGrant(r.UserName, r.WorkflowId, r.Role)).ToList();
    }

    public async Task<IReadOnlyList<RoleGrant>> ListRoleGrantsForWorkflowAsync(string workflowId, bool includeGlobal, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<GrantListRow>(new CommandDefinition(
            GrantColumns + " WHERE g.workflow_id = @workflowId OR (@includeGlobal AND g.workflow_id = '*') ORDER BY u.user_name_key, g.role",
            new { workflowId, includeGlobal }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new RoleGrant(r.UserName, r.WorkflowId, r.Role)).ToList();
    }

    // ---- Rows (Dapper maps columns by alias; integers arrive as Int64 from SQLite) ----------------

    private sealed class AppliedMigration
    {
        public long Version { get; set; }
        public string Name { get; set; } = "";
        public string Checksum { get; set; } = "";
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
    }

    private sealed class PairRow
    {
        public string WorkflowId { get; set; } = "";
        public string Role { get; set; } = "";
    }

    private sealed class GrantRow
    {
        public string WorkflowId { get; set; } = "";
        public string Level { get; set; } = "";
        public string GrantedBy { get; set; } = "";
        public long GrantedAtUs { get; set; }
        public string Evidence { get; set; } = "";
    }

    private sealed class UserRow
    {
        public string UserName { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public string PasswordHash { get; set; } = "";
        public long FailedSignIns { get; set; }
        public long? LockedUntilUs { get; set; }
        public long? LastSignInUs { get; set; }
        public long CreatedAtUs { get; set; }

        public StoredUser ToRecord() => new()
        {
            UserName = UserName, DisplayName = DisplayName, PasswordHash = PasswordHash, FailedSignIns = (int)FailedSignIns,
            LockedUntil = FromMicros(LockedUntilUs), LastSignInAt = FromMicros(LastSignInUs), CreatedAt = FromMicros(CreatedAtUs),
        };
    }

    private sealed class GrantListRow
    {
        public string UserName { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public string Role { get; set; } = "";
    }
}
