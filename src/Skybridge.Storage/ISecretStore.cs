namespace Skybridge.Storage;

/// <summary>
/// Credentials Skybridge holds for the systems it calls (one per connector name). The store keeps only what the caller
/// gives it: values arrive already sealed (encrypted with the secrets key kept outside the database), so a copy of
/// the database alone holds nothing usable. Listing never returns values.
/// </summary>
public interface ISecretStore
{
    /// <summary>Stores <paramref name="secret"/>, replacing any secret of the same name.</summary>
    Task SetSecretAsync(StoredSecret secret, CancellationToken cancellationToken = default);

    /// <summary>The secret named <paramref name="name"/> (its sealed value), or null.</summary>
    Task<StoredSecret?> GetSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every secret's name, kind and when and by whom it was set, by name; never a value.</summary>
    Task<IReadOnlyList<SecretInfo>> ListSecretsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the secret named <paramref name="name"/>; false when there was none.</summary>
    Task<bool> DeleteSecretAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A secret as stored: its sealed value, never the clear one.</summary>
/// <param name="Name">The connector the credential is for.</param>
/// <param name="Kind">What the credential is (for example <c>bearer</c>, <c>basic</c>, <c>api-key</c>); not secret.</param>
/// <param name="SealedValue">The value sealed with the secrets key.</param>
/// <param name="SetBy">Who set it.</param>
/// <param name="SetAt">When.</param>
public sealed record StoredSecret(string Name, string Kind, string SealedValue, string SetBy, DateTimeOffset SetAt);

/// <summary>What may be shown about a secret: everything but its value.</summary>
public sealed record SecretInfo(string Name, string Kind, string SetBy, DateTimeOffset SetAt);

/// <summary>
/// Stores (or replaces) a secret with the ledger event that records the change, in one transaction: a credential never
/// changes without its <c>secret.set</c> event. The event carries the name, never the value.
/// </summary>
public sealed record SecretSetRow(StoredSecret Secret) : RecordedRow;

/// <summary>
/// Deletes a secret with its <c>secret.removed</c> event. When there is no such secret the store throws
/// <see cref="StoreConflictException"/> and nothing is written.
/// </summary>
public sealed record SecretRemovedRow(string Name) : RecordedRow;
