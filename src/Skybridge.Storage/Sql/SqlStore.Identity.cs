using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The identity half of the SQL store: agents, signing keys, revocations, replay guard, halts.</summary>
internal abstract partial class SqlStore
{
    private const string AgentColumns =
        "SELECT client_id AS ClientId, workflow_id AS WorkflowId, name AS Name, role AS Role, status AS Status, created_by AS CreatedBy, " +
        "created_at_us AS CreatedAtUs, changed_at_us AS ChangedAtUs FROM agents";

    private const string AgentKeyColumns =
        "SELECT client_id AS ClientId, key_id AS KeyId, jwk AS Jwk, created_at_us AS CreatedAtUs FROM agent_keys WHERE revoked_at_us IS NULL";

    private long _replayWrites;

    public async Task<bool> CreateAgentAsync(NewAgent agent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var added = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO agents (client_id, workflow_id, name, role, status, created_by, created_at_us, changed_at_us) " +
            "VALUES (@ClientId, @WorkflowId, @Name, @Role, @Status, @CreatedBy, @At, @At) ON CONFLICT (client_id) DO NOTHING",
            new { agent.ClientId, agent.WorkflowId, agent.Name, agent.Role, Status = AgentStatuses.Active, agent.CreatedBy, At = ToMicros(agent.CreatedAt) },
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (added == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO agent_keys (client_id, key_id, jwk, created_at_us) VALUES (@ClientId, @KeyId, @Jwk, @At)",
            new { agent.ClientId, agent.Key.KeyId, Jwk = agent.Key.PublicJwk, At = ToMicros(agent.Key.CreatedAt) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<StoredAgent?> GetAgentAsync(string clientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AgentRow>(new CommandDefinition(
            AgentColumns + " WHERE client_id = @clientId", new { clientId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var keys = await connection.QueryAsync<AgentKeyRow>(new CommandDefinition(
            AgentKeyColumns + " AND client_id = @clientId ORDER BY created_at_us", new { clientId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row.ToRecord(keys);
    }

    public async Task<IReadOnlyList<StoredAgent>> ListAgentsAsync(string? workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var filter = workflowId is null ? "" : " WHERE workflow_id = @workflowId";
        var rows = await connection.QueryAsync<AgentRow>(new CommandDefinition(
            AgentColumns + filter + " ORDER BY client_id", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var keys = (await connection.QueryAsync<AgentKeyRow>(new CommandDefinition(
            AgentKeyColumns + (workflowId is null ? "" : " AND client_id IN (SELECT client_id FROM agents WHERE workflow_id = @workflowId)") + " ORDER BY created_at_us",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToLookup(k => k.ClientId);
        return rows.Select(r => r.ToRecord(keys[r.ClientId])).ToList();
    }

    public async Task<bool> SetAgentStatusAsync(string clientId, string status, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agents SET status = @status, changed_at_us = @at WHERE client_id = @clientId AND status <> @status",
            new { clientId, status, at = ToMicros(at) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        if (changed)
        {
            // Disabling ends the agent's tokens; re-enabling must not bring back one issued before (or during a race with the disable).
            await RaiseCutoffAsync(connection, tx, new TokenCutoff(TokenCutoffKinds.Agent, clientId, at), cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public async Task<bool> ReplaceAgentKeyAsync(string clientId, AgentKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var known = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT client_id FROM agents WHERE client_id = @clientId{ForUpdate}", new { clientId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (known is null)
        {
            return false;
        }

        var added = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO agent_keys (client_id, key_id, jwk, created_at_us) VALUES (@clientId, @KeyId, @Jwk, @At) ON CONFLICT (client_id, key_id) DO NOTHING",
            new { clientId, key.KeyId, Jwk = key.PublicJwk, At = ToMicros(key.CreatedAt) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (added == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agent_keys SET revoked_at_us = @At WHERE client_id = @clientId AND key_id <> @KeyId AND revoked_at_us IS NULL",
            new { clientId, key.KeyId, At = ToMicros(key.CreatedAt) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agents SET changed_at_us = @At WHERE client_id = @clientId", new { clientId, At = ToMicros(key.CreatedAt) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task PublishSigningKeyAsync(TokenSigningKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO token_signing_keys (key_id, node_id, jwk, created_at_us, retired_at_us) VALUES (@KeyId, @NodeId, @PublicJwk, @CreatedAt, @RetiredAt) ON CONFLICT (key_id) DO NOTHING",
            new { key.KeyId, key.NodeId, key.PublicJwk, CreatedAt = ToMicros(key.CreatedAt), RetiredAt = key.RetiredAt is { } r ? ToMicros(r) : (long?)null },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task RetireSigningKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE token_signing_keys SET retired_at_us = @at WHERE key_id = @keyId AND retired_at_us IS NULL",
            new { keyId, at = ToMicros(at) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TokenSigningKey>> ListSigningKeysAsync(DateTimeOffset retiredAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(
            "SELECT key_id AS KeyId, node_id AS NodeId, jwk AS Jwk, created_at_us AS CreatedAtUs, retired_at_us AS RetiredAtUs FROM token_signing_keys " +
            "WHERE retired_at_us IS NULL OR retired_at_us > @after ORDER BY created_at_us DESC, key_id",
            new { after = ToMicros(retiredAfter) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new TokenSigningKey(r.KeyId, r.NodeId, r.Jwk, FromMicros(r.CreatedAtUs), r.RetiredAtUs is { } at ? FromMicros(at) : null)).ToList();
    }

    public async Task<bool> RevokeTokenAsync(RevokedToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO revoked_tokens (token_id, client_id, expires_at_us, revoked_at_us) VALUES (@TokenId, @ClientId, @ExpiresAt, @RevokedAt) ON CONFLICT (token_id) DO NOTHING",
            new { token.TokenId, token.ClientId, ExpiresAt = ToMicros(token.ExpiresAt), RevokedAt = ToMicros(token.RevokedAt) },
            cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<RevokedToken>> ListRevokedTokensAsync(DateTimeOffset expiringAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<RevokedRow>(new CommandDefinition(
            "SELECT token_id AS TokenId, client_id AS ClientId, expires_at_us AS ExpiresAtUs, revoked_at_us AS RevokedAtUs FROM revoked_tokens WHERE expires_at_us > @after",
            new { after = ToMicros(expiringAfter) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new RevokedToken(r.TokenId, r.ClientId, FromMicros(r.ExpiresAtUs), FromMicros(r.RevokedAtUs))).ToList();
    }

    public async Task<bool> TryUseOnceAsync(string key, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // An expired entry may be taken over: its window has closed, so the key cannot be a replay any more.
        var used = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO replay_guard (key, keep_until_us) VALUES (@key, @keepUntil) " +
            "ON CONFLICT (key) DO UPDATE SET keep_until_us = excluded.keep_until_us WHERE replay_guard.keep_until_us <= @now",
            new { key, keepUntil = ToMicros(keepUntil), now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        if (Interlocked.Increment(ref _replayWrites) % 1024 == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM replay_guard WHERE keep_until_us <= @now", new { now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return used;
    }

    public async Task<string> GetOrCreateSharedSecretAsync(string name, string candidate, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO shared_secrets (name, value, created_at_us) VALUES (@name, @candidate, @at) ON CONFLICT (name) DO NOTHING",
            new { name, candidate, at = ToMicros(at) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT value FROM shared_secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? candidate;
    }

    public async Task<bool> ReplaceSharedSecretAsync(string name, string expected, string replacement, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE shared_secrets SET value = @replacement WHERE name = @name AND value = @expected",
            new { name, expected, replacement }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    private const string DeviceColumns =
        "SELECT device_code_hash AS DeviceCodeHash, user_code_hash AS UserCodeHash, client_id AS ClientId, scope AS Scope, status AS Status, " +
        "user_name AS UserName, created_at_us AS CreatedAtUs, expires_at_us AS ExpiresAtUs, last_poll_at_us AS LastPollAtUs, interval_s AS IntervalS FROM device_authorizations";

    public async Task<bool> CreateDeviceAuthorizationAsync(DeviceAuthorization authorization, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM device_authorizations WHERE expires_at_us < @now", new { now = ToMicros(authorization.CreatedAt.AddHours(-1)) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scope, status, user_name, created_at_us, expires_at_us, last_poll_at_us, interval_s) " +
            "VALUES (@DeviceCodeHash, @UserCodeHash, @ClientId, @Scope, @Status, NULL, @CreatedAt, @ExpiresAt, NULL, @IntervalSeconds) ON CONFLICT DO NOTHING",
            new
            {
                authorization.DeviceCodeHash, authorization.UserCodeHash, authorization.ClientId, authorization.Scope, authorization.Status,
                CreatedAt = ToMicros(authorization.CreatedAt), ExpiresAt = ToMicros(authorization.ExpiresAt), authorization.IntervalSeconds,
            }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<DeviceAuthorization?> FindDeviceAuthorizationByUserCodeAsync(string userCodeHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<DeviceRow>(new CommandDefinition(
            DeviceColumns + " WHERE user_code_hash = @userCodeHash", new { userCodeHash }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();
    }

    public async Task<bool> DecideDeviceAuthorizationAsync(string userCodeHash, string userName, bool approve, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE device_authorizations SET status = @status, user_name = @userName WHERE user_code_hash = @userCodeHash AND status = @pending AND expires_at_us > @now",
            new { status = approve ? DeviceAuthorizationStatuses.Approved : DeviceAuthorizationStatuses.Denied, userName, userCodeHash, pending = DeviceAuthorizationStatuses.Pending, now = ToMicros(now) },
            cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<DeviceAuthorization?> PollDeviceAuthorizationAsync(string deviceCodeHash, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<DeviceRow>(new CommandDefinition(
            DeviceColumns + $" WHERE device_code_hash = @deviceCodeHash{ForUpdate}", new { deviceCodeHash }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        // An approval is handed out by exactly one poll: the row moves to consumed in the same transaction.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE device_authorizations SET last_poll_at_us = @now, status = CASE WHEN status = @approved THEN @consumed ELSE status END WHERE device_code_hash = @deviceCodeHash",
            new { now = ToMicros(now), approved = DeviceAuthorizationStatuses.Approved, consumed = DeviceAuthorizationStatuses.Consumed, deviceCodeHash },
            tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return row.ToRecord();
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

    public async Task<bool> ResumeWorkflowAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM workflow_halts WHERE workflow_id = @workflowId", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<WorkflowHalt>> ListHaltsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<HaltRow>(new CommandDefinition(
            "SELECT workflow_id AS WorkflowId, halted_by AS HaltedBy, reason AS Reason, at_us AS AtUs FROM workflow_halts ORDER BY workflow_id",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new WorkflowHalt(r.WorkflowId, r.HaltedBy, r.Reason, FromMicros(r.AtUs))).ToList();
    }

    public async Task RaiseTokenCutoffAsync(TokenCutoff cutoff, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cutoff);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await RaiseCutoffAsync(connection, null, cutoff, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TokenCutoff>> ListTokenCutoffsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CutoffRow>(new CommandDefinition(
            "SELECT kind AS Kind, id AS Id, not_before_us AS NotBeforeUs FROM token_cutoffs", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new TokenCutoff(r.Kind, r.Id, FromMicros(r.NotBeforeUs))).ToList();
    }

    private static Task RaiseCutoffAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, TokenCutoff cutoff, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO token_cutoffs (kind, id, not_before_us) VALUES (@Kind, @Id, @At) " +
            "ON CONFLICT (kind, id) DO UPDATE SET not_before_us = excluded.not_before_us WHERE token_cutoffs.not_before_us < excluded.not_before_us",
            new { cutoff.Kind, cutoff.Id, At = ToMicros(cutoff.NotBefore) }, tx, cancellationToken: cancellationToken));

    private sealed class CutoffRow
    {
        public string Kind { get; set; } = "";
        public string Id { get; set; } = "";
        public long NotBeforeUs { get; set; }
    }

    private sealed class AgentRow
    {
        public string ClientId { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public string Status { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public long CreatedAtUs { get; set; }
        public long ChangedAtUs { get; set; }

        public StoredAgent ToRecord(IEnumerable<AgentKeyRow> keys) => new()
        {
            ClientId = ClientId, WorkflowId = WorkflowId, Name = Name, Role = Role, Status = Status, CreatedBy = CreatedBy,
            CreatedAt = FromMicros(CreatedAtUs), ChangedAt = FromMicros(ChangedAtUs),
            Keys = keys.Select(k => new AgentKey(k.KeyId, k.Jwk, FromMicros(k.CreatedAtUs))).ToList(),
        };
    }

    private sealed class AgentKeyRow
    {
        public string ClientId { get; set; } = "";
        public string KeyId { get; set; } = "";
        public string Jwk { get; set; } = "";
        public long CreatedAtUs { get; set; }
    }

    private sealed class SigningKeyRow
    {
        public string KeyId { get; set; } = "";
        public string NodeId { get; set; } = "";
        public string Jwk { get; set; } = "";
        public long CreatedAtUs { get; set; }
        public long? RetiredAtUs { get; set; }
    }

    private sealed class RevokedRow
    {
        public string TokenId { get; set; } = "";
        public string ClientId { get; set; } = "";
        public long ExpiresAtUs { get; set; }
        public long RevokedAtUs { get; set; }
    }

    private sealed class DeviceRow
    {
        public string DeviceCodeHash { get; set; } = "";
        public string UserCodeHash { get; set; } = "";
        public string ClientId { get; set; } = "";
        public string Scope { get; set; } = "";
        public string Status { get; set; } = "";
        public string? UserName { get; set; }
        public long CreatedAtUs { get; set; }
        public long ExpiresAtUs { get; set; }
        public long? LastPollAtUs { get; set; }
        public long IntervalS { get; set; }

        public DeviceAuthorization ToRecord() => new()
        {
            DeviceCodeHash = DeviceCodeHash, UserCodeHash = UserCodeHash, ClientId = ClientId, Scope = Scope, Status = Status, UserName = UserName,
            CreatedAt = FromMicros(CreatedAtUs), ExpiresAt = FromMicros(ExpiresAtUs), LastPollAt = LastPollAtUs is { } p ? FromMicros(p) : null,
            IntervalSeconds = (int)IntervalS,
        };
    }

    private sealed class HaltRow
    {
        public string WorkflowId { get; set; } = "";
        public string HaltedBy { get; set; } = "";
        public string Reason { get; set; } = "";
        public long AtUs { get; set; }
    }
}
