namespace Skybridge.Storage;

/// <summary>
/// Ledger persistence: append-only events (the Merkle leaves), stored perfect subtree hashes, signed checkpoints
/// and the public keys that signed them. Appends from several nodes are serialised on the ledger head row, so the
/// ledger stays one tree.
/// </summary>
public interface ILedgerStore
{
    /// <summary>
    /// Appends in one durable transaction. <paramref name="prepare"/> runs inside it, with the head locked, and turns
    /// the current head into the rows to write (events numbered from the head's size) and the new head.
    /// Returns the new head once committed to disk.
    /// </summary>
    Task<LedgerHead> AppendLedgerAsync(Func<LedgerHead, LedgerWrite> prepare, CancellationToken cancellationToken = default);

    /// <summary>The current head; a new ledger gets a fresh random origin on first use.</summary>
    Task<LedgerHead> GetLedgerHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>Events from <paramref name="fromSequence"/> on, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerEventsAsync(long fromSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// What an audit needs of events from <paramref name="fromSequence"/> on: sequence, body (its UTF-8 bytes, exactly
    /// as hashed) and stored leaf hash, in order, at most <paramref name="limit"/>. A lean read for re-hashing the whole ledger.
    /// </summary>
    Task<IReadOnlyList<Skybridge.Core.Ledger.Verification.LedgerAuditRow>> ReadLedgerForAuditAsync(long fromSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every event of one case, in order.</summary>
    Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerCaseAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events recorded for one workflow before <paramref name="beforeSequence"/>, newest first, at most
    /// <paramref name="limit"/>: its recent activity, read backwards a page at a time.
    /// </summary>
    Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerWorkflowRecentAsync(string workflowId, long beforeSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>The stored leaf hashes of [start, end).</summary>
    Task<IReadOnlyList<byte[]>> ReadLeafHashesAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Stored perfect-subtree hashes of one level for indexes [start, end).</summary>
    Task<IReadOnlyList<byte[]>> ReadSubtreesAsync(int level, long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Saves a signed checkpoint (idempotent per size).</summary>
    Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The checkpoint of the largest size, or null before the first (cheap: checkpoints accumulate).</summary>
    Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>All checkpoints, smallest size first.</summary>
    Task<IReadOnlyList<StoredCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a ledger public key (C2SP vkey) so verifiers can find it; idempotent.</summary>
    Task SaveLedgerKeyAsync(string keyId, string name, string verifierKey, DateTimeOffset createdAt, CancellationToken cancellationToken = default);

    /// <summary>Every ledger public key ever used, oldest first (rotation keeps old checkpoints verifiable).</summary>
    Task<IReadOnlyList<string>> ListLedgerKeysAsync(CancellationToken cancellationToken = default);
}

/// <summary>The ledger's head: its origin (the checkpoint name), size, and the Merkle frontier to continue from.</summary>
public sealed record LedgerHead(string Origin, long Size, IReadOnlyList<byte[]> Frontier);

/// <summary>What one append transaction writes.</summary>
public sealed record LedgerWrite(IReadOnlyList<StoredLedgerEvent> Events, IReadOnlyList<StoredSubtree> Subtrees, LedgerHead NewHead)
{
    /// <summary>
    /// Rows of other areas written in the same transaction as the events (a case's draft with its trail): both are
    /// committed, or neither is.
    /// </summary>
    public IReadOnlyList<RecordedRow> Rows { get; init; } = [];
}

/// <summary>
/// A row that is only true together with the ledger events that record it, so it is written in their transaction.
/// Each area adds its own kind (cases today; approvals and decisions next).
/// </summary>
public abstract record RecordedRow;

/// <summary>A submitted case with its draft, written with the draft's ledger trail.</summary>
public sealed record CaseRecordedRow(StoredCase Case) : RecordedRow;

/// <summary>A stored event: its canonical JSON body and leaf hash, with columns for lookup.</summary>
public sealed record StoredLedgerEvent(long Sequence, string EventId, string Type, string? WorkflowId, string? CaseId, DateTimeOffset At, string Body, byte[] LeafHash);

/// <summary>The hash of the perfect subtree of 2^level leaves starting at leaf index × 2^level.</summary>
public sealed record StoredSubtree(int Level, long Index, byte[] Hash);

/// <summary>A signed tree head: size, root and the C2SP signed note that commits to them.</summary>
public sealed record StoredCheckpoint(long Size, byte[] Root, DateTimeOffset At, string Note);
