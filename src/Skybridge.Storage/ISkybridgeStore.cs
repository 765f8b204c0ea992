namespace Skybridge.Storage;

/// <summary>
/// The one store contract. Two implementations: SQLite (embedded default) and PostgreSQL (several nodes).
/// A single contract test suite runs against both. Expected outcomes (a duplicate user, an unknown
/// version) are results, not exceptions; exceptions mean the store itself is broken or unreachable
/// (<see cref="StoreUnavailableException"/>).
/// </summary>
public interface ISkybridgeStore : IWorkflowStore, IPeopleStore, IAgentStore, ITokenStore, ISourceStore, ICaseStore, IActionStore, IBudgetStore, ISecretStore, IWebhookStore, IEvaluationStore, ICalibrationStore, IReviewStore, IVectorStore, ILedgerStore, IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    string Provider { get; }

    /// <summary>Where the data lives, safe to print (a folder, or host/port/database without the password).</summary>
    string Description { get; }

    /// <summary>
    /// Applies pending versioned migrations. Safe to run twice and from two nodes at once:
    /// each migration is applied exactly once, under a lock.
    /// </summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The highest migration version applied; 0 for an empty store.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the store answers a trivial query (readiness).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The store cannot be reached or used (server down, password refused, folder not writable). The message
/// names the cause and what to do; it never contains a password.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
