using Microsoft.Extensions.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Hosting;

/// <summary>
/// What a node loads before it serves anything: its ledger signing key and the DPoP nonce secret every node shares.
/// A hosted service, so that start-up awaits the store instead of blocking a thread in a DI factory; registered
/// first, so the other hosted services start after it.
/// </summary>
internal sealed class NodeStartup : IHostedService
{
    private readonly SkybridgeNodeOptions _options;
    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;
    private readonly LedgerService _ledger;
    private readonly NodeSecrets _secrets;

    public NodeStartup(SkybridgeNodeOptions options, ISkybridgeStore store, TimeProvider time, LedgerService ledger, NodeSecrets secrets)
    {
        _options = options;
        _store = store;
        _time = time;
        _ledger = ledger;
        _secrets = secrets;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.LedgerKeyFile is not null)
        {
            var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
            _ledger.UseSigner(await LedgerKeys.LoadOrCreateAsync(_options.LedgerKeyFile, head.Origin, _store, _time, cancellationToken).ConfigureAwait(false));
        }

        await _secrets.LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Secrets every node of an installation shares, loaded once at start-up.</summary>
public sealed class NodeSecrets
{
    private readonly SkybridgeNodeOptions _options;
    private readonly ITokenStore _store;
    private readonly TimeProvider _time;
    private DPoPNonces? _nonces;
    private SecretsKey? _key;

    /// <summary>The secrets of the installation behind <paramref name="store"/>.</summary>
    public NodeSecrets(SkybridgeNodeOptions options, ITokenStore store, TimeProvider time)
    {
        _options = options;
        _store = store;
        _time = time;
    }

    /// <summary>The DPoP nonce source (RFC 9449 section 8), keyed by the shared secret.</summary>
    public DPoPNonces Nonces => _nonces ?? throw new InvalidOperationException("The node has not started: its secrets are not loaded.");

    /// <summary>The secrets key, which also seals connector credentials (<see cref="Connectors.ConnectorSecrets"/>).</summary>
    public SecretsKey Key => _key ?? throw new InvalidOperationException("The node has not started: its secrets are not loaded.");

    /// <summary>Loads the shared secrets; the first node to start decides them.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var key = _key = await LoadKeyAsync(cancellationToken).ConfigureAwait(false);
        _nonces = new DPoPNonces(await GetOrCreateAsync(key, "dpop-nonce", cancellationToken).ConfigureAwait(false), _options.Identity.NonceLifetime);
    }

    private async Task<SecretsKey> LoadKeyAsync(CancellationToken cancellationToken)
    {
        if (_options.SecretsKey is { Length: > 0 } given)
        {
            return SecretsKey.FromBase64(given, "the configured secrets key");
        }

        return _options.SecretsKeyFile is { } path
            ? await SecretsKey.LoadOrCreateAsync(path, cancellationToken).ConfigureAwait(false)
            : SecretsKey.Ephemeral();
    }

    /// <summary>
    /// The shared secret <paramref name="name"/>, sealed with the secrets key in the store. Every node must use the
    /// same value, so a sealed candidate is offered and the stored one wins. A value stored in clear by an earlier
    /// version is sealed in place.
    /// </summary>
    private async Task<byte[]> GetOrCreateAsync(SecretsKey key, string name, CancellationToken cancellationToken)
    {
        var candidate = key.Seal(name, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var stored = await _store.GetOrCreateSharedSecretAsync(name, candidate, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (SecretsKey.IsSealed(stored))
        {
            return key.Open(name, stored);
        }

        var clear = Convert.FromBase64String(stored);
        var upgraded = key.Seal(name, clear);
        if (!await _store.ReplaceSharedSecretAsync(name, stored, upgraded, cancellationToken).ConfigureAwait(false))
        {
            // Another node sealed it first; what it stored is the same secret.
            return key.Open(name, await _store.GetOrCreateSharedSecretAsync(name, candidate, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));
        }

        return clear;
    }
}
