using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>Connector credentials, stored sealed; see <see cref="ISecretStore"/>.</summary>
internal abstract partial class SqlStore
{
    public async Task SetSecretAsync(StoredSecret secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            UpsertSecret,
            new { secret.Name, secret.Kind, secret.SealedValue, secret.SetBy, At = ToMicros(secret.SetAt) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<StoredSecret?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<SecretRow>(new CommandDefinition(
            "SELECT name AS Name, kind AS Kind, sealed_value AS SealedValue, set_by AS SetBy, set_at_us AS SetAtUs FROM secrets WHERE name = @name",
            new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : new StoredSecret(row.Name, row.Kind, row.SealedValue, row.SetBy, FromMicros(row.SetAtUs));
    }

    public async Task<IReadOnlyList<SecretInfo>> ListSecretsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // The value column is not even read: a listing cannot leak what it never holds.
        var rows = await connection.QueryAsync<SecretRow>(new CommandDefinition(
            "SELECT name AS Name, kind AS Kind, set_by AS SetBy, set_at_us AS SetAtUs FROM secrets ORDER BY name",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new SecretInfo(r.Name, r.Kind, r.SetBy, FromMicros(r.SetAtUs))).ToList();
    }

    public async Task<bool> DeleteSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    private static Task SetSecretRowAsync(DbConnection connection, DbTransaction tx, StoredSecret secret, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            UpsertSecret, new { secret.Name, secret.Kind, secret.SealedValue, secret.SetBy, At = ToMicros(secret.SetAt) }, tx, cancellationToken: cancellationToken));

    private static async Task RemoveSecretRowAsync(DbConnection connection, DbTransaction tx, string name, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteAsync(new CommandDefinition("DELETE FROM secrets WHERE name = @name", new { name }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false) != 1)
        {
            throw new StoreConflictException($"No secret named {name} to remove.");
        }
    }

    private const string UpsertSecret =
        "INSERT INTO secrets (name, kind, sealed_value, set_by, set_at_us) VALUES (@Name, @Kind, @SealedValue, @SetBy, @At) " +
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, sealed_value = excluded.sealed_value, set_by = excluded.set_by, set_at_us = excluded.set_at_us";

    private sealed class SecretRow
    {
        public string Name { get; set; } = "";
        public string Kind { get; set; } = "";
        public string SealedValue { get; set; } = "";
        public string SetBy { get; set; } = "";
        public long SetAtUs { get; set; }
    }
}
