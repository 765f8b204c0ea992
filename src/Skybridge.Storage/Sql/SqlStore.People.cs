using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: people: accounts, sign-in failures and lockout, sessions, role grants.</summary>
internal abstract partial class SqlStore
{
    private const string UserColumns =
        "SELECT user_name AS UserName, display_name AS DisplayName, password_hash AS PasswordHash, failed_sign_ins AS FailedSignIns, " +
        "locked_until_us AS LockedUntilUs, last_sign_in_us AS LastSignInUs, created_at_us AS CreatedAtUs FROM users";

    private const string GrantColumns =
        "SELECT u.user_name AS UserName, g.workflow_id AS WorkflowId, g.role AS Role FROM role_grants g JOIN users u ON u.user_name_key = g.user_name_key";

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
