using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: agents and their public keys.</summary>
internal abstract partial class SqlStore
{
    private const string AgentColumns =
        "SELECT client_id AS ClientId, workflow_id AS WorkflowId, name AS Name, role AS Role, status AS Status, created_by AS CreatedBy, " +
        "created_at_us AS CreatedAtUs, changed_at_us AS ChangedAtUs FROM agents";

    private const string AgentKeyColumns =
        "SELECT client_id AS ClientId, key_id AS KeyId, jwk AS Jwk, created_at_us AS CreatedAtUs FROM agent_keys WHERE revoked_at_us IS NULL";

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
}
