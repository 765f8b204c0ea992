using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>
/// The one way to record an event. Every retrieval, model call, answer, decision, approval, action, configuration
/// change and halt goes through <c>AppendAsync</c>; the returned task completes only once the event is on disk.
/// </summary>
public interface ILedger
{
    /// <summary>Records an event and returns it as stored (sequence number = Merkle leaf index).</summary>
    Task<RecordedEvent> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records several events, in order and next to each other, together with <paramref name="rows"/> of other areas
    /// in one transaction: a case's draft is never stored without its trail, nor the trail without the draft. The
    /// append is taken in order when the call is made, before the returned task completes: a caller may answer without
    /// awaiting it, knowing that any append it makes later is written after this one.
    /// </summary>
    Task<IReadOnlyList<RecordedEvent>> AppendAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes once everything appended before the call has been written (or has failed): a reader that flushes
    /// first sees every event and row this node accepted before it, including those whose caller did not wait for them
    /// (an executed action's result, written after its caller was answered).
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// Takes the append in order, as <see cref="AppendAsync(IReadOnlyList{LedgerEntry}, IReadOnlyList{RecordedRow}, CancellationToken)"/>
    /// does, but never writes it on the caller's thread: for a caller that answers before its events are on disk (an
    /// executed action's result) and must not wait for a transaction it does not need.
    /// </summary>
    Task<IReadOnlyList<RecordedEvent>> QueueAppendAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows) =>
        AppendAsync(entries, rows, CancellationToken.None);
}

/// <summary>
/// Appends with group commit: concurrent callers are gathered into one transaction (one fsync) and each is answered
/// when that transaction has committed. There is no writer thread to wake: a caller that finds no transaction under way
/// writes the queue itself, on its own thread, and goes on without a hop between threads; callers that come while a
/// transaction is under way are gathered into the next one, which a thread-pool thread takes over so that the caller
/// who wrote first is answered as soon as its own transaction has committed. Several nodes may append to one PostgreSQL
/// at once: each batch numbers its events from the head it locked, so the ledger stays one tree.
/// </summary>
public sealed class LedgerWriter : ILedger, IAsyncDisposable
{
    /// <summary>Most events written in one transaction.</summary>
    public const int MaxBatch = 2048;

    /// <summary>Only perfect subtrees of these levels are stored (every 256 leaves, 65,536...); proofs compute the rest.</summary>
    public const int StoredLevelStep = 8;

    private readonly ILedgerStore _store;
    private readonly TimeProvider _time;
    private readonly string _nodeId;

    /// <summary>Guards the queue, <see cref="_writing"/>, <see cref="_closed"/> and <see cref="_last"/>.</summary>
    private readonly Lock _gate = new();
    private readonly Queue<Pending> _queue = new();

    /// <summary>
    /// Someone is writing: the one who set it writes transactions until the queue is empty and then clears it (or hands
    /// it to a thread-pool thread). Never clear while anything is queued, so at most one transaction runs at a time and
    /// appends are written in the order accepted.
    /// </summary>
    private bool _writing;

    private bool _closed;

    /// <summary>The last append accepted: appends are written in the order accepted, so when it is done, all before it are.</summary>
    private Task _last = Task.CompletedTask;

    public LedgerWriter(ILedgerStore store, TimeProvider time, string nodeId)
    {
        _store = store;
        _time = time;
        _nodeId = nodeId;
    }

    /// <summary>
    /// One caller's events (never split across transactions), in canonical form but for their numbers and time, and the
    /// rows that go with them.
    /// </summary>
    private sealed record Pending(PreparedEvent[] Entries, IReadOnlyList<RecordedRow> Rows, TaskCompletionSource<IReadOnlyList<RecordedEvent>> Done);

    public async Task<RecordedEvent> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return (await AppendAsync([entry], [], cancellationToken).ConfigureAwait(false))[0];
    }

    public Task<IReadOnlyList<RecordedEvent>> AppendAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows, CancellationToken cancellationToken = default) =>
        AppendCoreAsync(entries, rows, writeHere: true, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RecordedEvent>> QueueAppendAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows) =>
        AppendCoreAsync(entries, rows, writeHere: false, CancellationToken.None);

    private async Task<IReadOnlyList<RecordedEvent>> AppendCoreAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows, bool writeHere, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(rows);
        if (entries.Count is 0 or > MaxBatch)
        {
            throw new ArgumentException($"Between 1 and {MaxBatch} events are recorded at once.", nameof(entries));
        }

        // Written out on the caller's thread: the transaction, which every append waits for, only adds numbers and time.
        var prepared = new PreparedEvent[entries.Count];
        for (var i = 0; i < prepared.Length; i++)
        {
            prepared[i] = LedgerEventFormat.Prepare(entries[i], _nodeId);
        }

        var done = new TaskCompletionSource<IReadOnlyList<RecordedEvent>>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool write;
        lock (_gate)
        {
            if (_closed)
            {
                throw new InvalidOperationException("The ledger is shut down; nothing more can be recorded.");
            }

            // Under the lock, so that the queue's order is the order accepted and _last is always the append accepted last.
            _queue.Enqueue(new Pending(prepared, rows, done));
            _last = done.Task;
            write = !_writing;
            _writing = true;
        }

        if (write)
        {
            if (writeHere)
            {
                // Nobody is writing: this caller's transaction starts now, on this thread, and whatever queues behind
                // it goes to a thread-pool thread once it has committed.
                await WriteQueuedAsync(handOver: true).ConfigureAwait(false);
            }
            else
            {
                StartWriter();
            }
        }

        // A cancelled caller stops waiting, but the events may still be written: the ledger never drops what it accepted.
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task last;
        lock (_gate)
        {
            last = _last;
        }

        try
        {
            await last.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Failed appends were never written, and their callers learn of it; flushing only waits for the turn.
        }
    }

    private void StartWriter() =>
        ThreadPool.UnsafeQueueUserWorkItem(static writer => _ = writer.WriteQueuedAsync(handOver: false), this, preferLocal: false);

    /// <summary>
    /// Writes the queue, one transaction at a time, for whoever set <see cref="_writing"/>; clears it when the queue is
    /// empty. With <paramref name="handOver"/> (a caller writing on its own thread) it writes one transaction, its
    /// caller's, and leaves the rest to a thread-pool thread.
    /// </summary>
    private async Task WriteQueuedAsync(bool handOver)
    {
        var batch = new List<Pending>();
        var wrote = false;
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                if (handOver && wrote)
                {
                    StartWriter(); // _writing stays set: the thread-pool writer owns it now
                    return;
                }

                batch.Clear();
                var events = 0;
                while (_queue.TryPeek(out var next) && (batch.Count == 0 || events + next.Entries.Length <= MaxBatch))
                {
                    batch.Add(_queue.Dequeue()); // a caller's events are never split across transactions
                    events += next.Entries.Length;
                }
            }

            await WriteBatchAsync(batch).ConfigureAwait(false);
            wrote = true;
        }
    }

    /// <summary>Writes one batch; never throws: each caller learns of a failure through its own task.</summary>
    private async Task WriteBatchAsync(List<Pending> batch)
    {
        try
        {
            await CommitAsync(batch).ConfigureAwait(false);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One caller's bad row must not fail the others gathered with it: each is tried alone, and only the
            // one that fails again learns of it.
            foreach (var item in batch)
            {
                await CommitAloneAsync(item).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            batch[0].Done.TrySetException(ex);
        }
    }

    private async Task CommitAloneAsync(Pending item)
    {
        try
        {
            await CommitAsync([item]).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing of it was committed: the caller learns it and is never told "recorded".
            item.Done.TrySetException(ex);
        }
    }

    /// <summary>Writes a batch in one transaction and answers its callers once it has committed.</summary>
    private async Task CommitAsync(IReadOnlyList<Pending> batch)
    {
        List<List<RecordedEvent>>? recorded = null;
        await _store.AppendLedgerAsync(head =>
        {
            // Runs inside the store transaction with the head locked: numbers come from the head as it is
            // now, which another node may have moved since this node's last batch.
            recorded = new List<List<RecordedEvent>>(batch.Count);
            var frontier = MerkleFrontier.FromHashes(head.Size, head.Frontier);
            var events = new List<StoredLedgerEvent>();
            var subtrees = new List<StoredSubtree>();
            var rows = new List<RecordedRow>();
            var now = _time.GetUtcNow();
            var time = LedgerEventFormat.FormatTime(now);
            foreach (var item in batch)
            {
                var mine = new List<RecordedEvent>(item.Entries.Length);
                foreach (var entry in item.Entries)
                {
                    var record = LedgerEventFormat.Record(entry, frontier.Size, time, now);
                    var leaf = record.LeafHash();
                    frontier.Append(leaf, (level, index, hash) =>
                    {
                        if (level % StoredLevelStep == 0)
                        {
                            subtrees.Add(new StoredSubtree(level, index, hash));
                        }
                    });
                    events.Add(new StoredLedgerEvent(record.Sequence, record.Id, record.Type, record.WorkflowId, record.CaseId, record.Time, record.CanonicalJson, leaf));
                    mine.Add(record);
                }

                rows.AddRange(item.Rows);
                recorded.Add(mine);
            }

            return new LedgerWrite(events, subtrees, new LedgerHead(head.Origin, frontier.Size, frontier.Hashes)) { Rows = rows };
        }).ConfigureAwait(false);

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(recorded![i]);
        }
    }

    /// <summary>Stops accepting events and waits until those accepted are written.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _closed = true;
        }

        await FlushAsync().ConfigureAwait(false);
    }
}
