using Skybridge.Core.Ledger.Verification;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Support;

/// <summary>A ledger store whose next append can be held until released, or failed (as a full disk would fail it).</summary>
internal sealed class GatedLedgerStore(ILedgerStore inner) : ILedgerStore
{
    private TaskCompletionSource? _hold;
    private bool _fail;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _transactions;

    public void HoldNext() => _hold = _released;

    public void FailNext() => _fail = true;

    public void Release() => _released.TrySetResult();

    /// <summary>Transactions begun, held ones included.</summary>
    public int Transactions => Volatile.Read(ref _transactions);

    /// <summary>Completes when a held transaction has begun and waits for <see cref="Release"/>.</summary>
    public Task Holding => _holding.Task;

    public async Task<LedgerHead> AppendLedgerAsync(Func<LedgerHead, LedgerWrite> prepare, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _transactions);
        if (Interlocked.Exchange(ref _hold, null) is { } hold)
        {
            _holding.TrySetResult();
            await hold.Task.ConfigureAwait(false);
        }

        if (_fail)
        {
            _fail = false;
            throw new StoreUnavailableException("disk full");
        }

        return await inner.AppendLedgerAsync(prepare, cancellationToken).ConfigureAwait(false);
    }

    public Task<LedgerHead> GetLedgerHeadAsync(CancellationToken cancellationToken = default) => inner.GetLedgerHeadAsync(cancellationToken);

    public Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerEventsAsync(long fromSequence, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadLedgerEventsAsync(fromSequence, limit, cancellationToken);

    public Task<IReadOnlyList<LedgerAuditRow>> ReadLedgerForAuditAsync(long fromSequence, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadLedgerForAuditAsync(fromSequence, limit, cancellationToken);

    public Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerCaseAsync(string caseId, CancellationToken cancellationToken = default) =>
        inner.ReadLedgerCaseAsync(caseId, cancellationToken);

    public Task<IReadOnlyList<StoredLedgerEvent>> ReadLedgerWorkflowRecentAsync(string workflowId, long beforeSequence, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadLedgerWorkflowRecentAsync(workflowId, beforeSequence, limit, cancellationToken);

    public Task<IReadOnlyList<byte[]>> ReadLeafHashesAsync(long start, long end, CancellationToken cancellationToken = default) =>
        inner.ReadLeafHashesAsync(start, end, cancellationToken);

    public Task<IReadOnlyList<byte[]>> ReadSubtreesAsync(int level, long start, long end, CancellationToken cancellationToken = default) =>
        inner.ReadSubtreesAsync(level, start, end, cancellationToken);

    public Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default) => inner.SaveCheckpointAsync(checkpoint, cancellationToken);

    public Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default) => inner.GetLatestCheckpointAsync(cancellationToken);

    public Task<IReadOnlyList<StoredCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken = default) => inner.ListCheckpointsAsync(cancellationToken);

    public Task SaveLedgerKeyAsync(string keyId, string name, string verifierKey, DateTimeOffset createdAt, CancellationToken cancellationToken = default) =>
        inner.SaveLedgerKeyAsync(keyId, name, verifierKey, createdAt, cancellationToken);

    public Task<IReadOnlyList<string>> ListLedgerKeysAsync(CancellationToken cancellationToken = default) => inner.ListLedgerKeysAsync(cancellationToken);
}
