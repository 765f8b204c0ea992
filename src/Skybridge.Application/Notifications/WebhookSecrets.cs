using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Application.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Notifications;

/// <summary>
/// The signing secrets of webhooks, in Skybridge's secret store: sealed with the secrets key (AES-256-GCM, bound to the
/// webhook's name), one per workflow and webhook. A new secret is handed over once, in a file only its
/// maker can read, for the receiver's operator; afterwards only its name and date are shown, and it is never printed.
/// </summary>
public sealed class WebhookSecrets
{
    /// <summary>The prefix Standard Webhooks gives signing secrets (the base64 key follows).</summary>
    public const string Prefix = "whsec_";

    /// <summary>The kind listed for these secrets (<c>skybridge secret list</c>).</summary>
    public const string Kind = "webhook";

    private readonly ISecretStore _store;
    private readonly Func<SecretsKey> _key;
    private readonly ILedger _ledger;

    /// <summary>Secrets in <paramref name="store"/>, sealed with the key <paramref name="key"/> gives; changes recorded in <paramref name="ledger"/>.</summary>
    public WebhookSecrets(ISecretStore store, Func<SecretsKey> key, ILedger ledger)
    {
        _store = store;
        _key = key;
        _ledger = ledger;
    }

    /// <summary>The secret store's name for a webhook's secret (connector names cannot contain ':').</summary>
    public static string StoreName(string workflowId, string webhook) => $"webhook:{workflowId}/{webhook}";

    /// <summary>A fresh secret: 32 random bytes, in the Standard Webhooks form.</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>True when <paramref name="secret"/> is a Standard Webhooks secret of 24 to 64 bytes.</summary>
    public static bool IsWellFormed(string secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var buffer = new byte[64];
        return Convert.TryFromBase64String(secret[Prefix.Length..], buffer, out var length) && length is >= 24 and <= 64;
    }

    /// <summary>Stores <paramref name="secret"/> for the webhook, replacing any earlier one, with its <c>secret.set</c> event (never the value).</summary>
    public async Task SetAsync(string workflowId, string webhook, string secret, string setBy, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!IsWellFormed(secret))
        {
            throw new ArgumentException($"A webhook secret is '{Prefix}' followed by 24 to 64 base64 bytes.", nameof(secret));
        }

        var name = StoreName(workflowId, webhook);
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.SecretSet,
            Actors = [LedgerActor.Human(setBy)],
            WorkflowId = workflowId,
            Resource = new LedgerResource("secret", name, ["kind"]),
            Outcome = "set",
            Content = new JsonObject { ["kind"] = Kind },
        };
        await _ledger.AppendAsync([entry], [new SecretSetRow(new StoredSecret(name, Kind, _key().Seal(name, Encoding.UTF8.GetBytes(secret)), setBy, at))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The webhook's secret, or null when none is stored.</summary>
    public async Task<string?> GetAsync(string workflowId, string webhook, CancellationToken cancellationToken)
    {
        var name = StoreName(workflowId, webhook);
        var stored = await _store.GetSecretAsync(name, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : Encoding.UTF8.GetString(_key().Open(name, stored.SealedValue));
    }
}
