using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: what the token service shares between nodes: signing keys, revocations and cutoffs, one-time use, shared secrets, device authorizations.</summary>
internal abstract partial class SqlStore
{
    private long _replayWrites;

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

    private sealed class CutoffRow
    {
        public string Kind { get; set; } = "";
        public string Id { get; set; } = "";
        public long NotBeforeUs { get; set; }
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
}
