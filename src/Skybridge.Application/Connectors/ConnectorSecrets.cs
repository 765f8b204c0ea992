using System.Text.Json.Nodes;
using Skybridge.Application.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Connectors;

/// <summary>
/// Skybridge's secret store for connector credentials: each credential is sealed with the secrets key (AES-256-GCM,
/// the key kept outside the database, bound to the connector's name so sealed values cannot be swapped) and kept
/// through <see cref="ISecretStore"/>. Values go in and come out here only; listings carry names and dates. Every change
/// is a ledger event (<c>secret.set</c>, <c>secret.removed</c>) written in the change's transaction, carrying the name,
/// the kind and who: never the value, nor anything derived from it (a hash of a short password can be guessed).
/// </summary>
public sealed class ConnectorSecrets : IConnectorCredentials
{
    private readonly ISecretStore _store;
    private readonly Func<SecretsKey> _key;
    private readonly ILedger _ledger;

    /// <summary>Credentials in <paramref name="store"/>, sealed with <paramref name="key"/>, changes recorded in <paramref name="ledger"/>.</summary>
    public ConnectorSecrets(ISecretStore store, SecretsKey key, ILedger ledger)
        : this(store, () => key, ledger)
    {
        ArgumentNullException.ThrowIfNull(key);
    }

    /// <summary>Credentials in <paramref name="store"/>, sealed with the key <paramref name="key"/> gives once the node has loaded it.</summary>
    public ConnectorSecrets(ISecretStore store, Func<SecretsKey> key, ILedger ledger)
    {
        _store = store;
        _key = key;
        _ledger = ledger;
    }

    /// <summary>Stores <paramref name="credential"/> for <paramref name="connector"/>, replacing any earlier one, with its <c>secret.set</c> event.</summary>
    public async Task SetAsync(string connector, ConnectorCredential credential, string setBy, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connector);
        ArgumentNullException.ThrowIfNull(credential);
        var sealedValue = _key().Seal(SealName(connector), credential.ToJsonBytes());
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.SecretSet,
            Actors = [LedgerActor.Human(setBy)],
            Resource = new LedgerResource("secret", connector, ["kind"]),
            Outcome = "set",
            Content = new JsonObject { ["kind"] = credential.KindName },
        };
        await _ledger.AppendAsync([entry], [new SecretSetRow(new StoredSecret(connector, credential.KindName, sealedValue, setBy, at))], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<ConnectorCredential?> GetAsync(string connector, CancellationToken cancellationToken)
    {
        var stored = await _store.GetSecretAsync(connector, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : ConnectorCredential.FromJsonBytes(_key().Open(SealName(connector), stored.SealedValue));
    }

    /// <summary>Names, kinds and when each credential was set; never a value.</summary>
    public Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken) => _store.ListSecretsAsync(cancellationToken);

    /// <summary>Deletes the credential of <paramref name="connector"/> with its <c>secret.removed</c> event; false (and nothing recorded) when there was none.</summary>
    public async Task<bool> RemoveAsync(string connector, string removedBy, CancellationToken cancellationToken)
    {
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.SecretRemoved,
            Actors = [LedgerActor.Human(removedBy)],
            Resource = new LedgerResource("secret", connector),
            Outcome = "removed",
        };
        try
        {
            await _ledger.AppendAsync([entry], [new SecretRemovedRow(connector)], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreConflictException)
        {
            return false;
        }
    }

    // Its own namespace of names, so a connector credential can never be opened as one of the node's shared secrets.
    private static string SealName(string connector) => "connector:" + connector;
}
