using Skybridge.Application.Hosting;
using Skybridge.Storage;

namespace Skybridge.Application.Connectors;

/// <summary>
/// Skybridge's secret store for connector credentials: each credential is sealed with the secrets key (AES-256-GCM,
/// the key kept outside the database, bound to the connector's name so sealed values cannot be swapped) and kept
/// through <see cref="ISecretStore"/>. Values go in and come out here only; listings carry names and dates.
/// </summary>
public sealed class ConnectorSecrets : IConnectorCredentials
{
    private readonly ISecretStore _store;
    private readonly Func<SecretsKey> _key;

    /// <summary>Credentials in <paramref name="store"/>, sealed with <paramref name="key"/>.</summary>
    public ConnectorSecrets(ISecretStore store, SecretsKey key)
        : this(store, () => key)
    {
        ArgumentNullException.ThrowIfNull(key);
    }

    /// <summary>Credentials in <paramref name="store"/>, sealed with the key <paramref name="key"/> gives once the node has loaded it.</summary>
    public ConnectorSecrets(ISecretStore store, Func<SecretsKey> key)
    {
        _store = store;
        _key = key;
    }

    /// <summary>Stores <paramref name="credential"/> for <paramref name="connector"/>, replacing any earlier one.</summary>
    public Task SetAsync(string connector, ConnectorCredential credential, string setBy, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connector);
        ArgumentNullException.ThrowIfNull(credential);
        var sealedValue = _key().Seal(SealName(connector), credential.ToJsonBytes());
        return _store.SetSecretAsync(new StoredSecret(connector, credential.KindName, sealedValue, setBy, at), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<ConnectorCredential?> GetAsync(string connector, CancellationToken cancellationToken)
    {
        var stored = await _store.GetSecretAsync(connector, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : ConnectorCredential.FromJsonBytes(_key().Open(SealName(connector), stored.SealedValue));
    }

    /// <summary>Names, kinds and when each credential was set; never a value.</summary>
    public Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken) => _store.ListSecretsAsync(cancellationToken);

    /// <summary>Deletes the credential of <paramref name="connector"/>; false when there was none.</summary>
    public Task<bool> RemoveAsync(string connector, CancellationToken cancellationToken) => _store.DeleteSecretAsync(connector, cancellationToken);

    // Its own namespace of names, so a connector credential can never be opened as one of the node's shared secrets.
    private static string SealName(string connector) => "connector:" + connector;
}
