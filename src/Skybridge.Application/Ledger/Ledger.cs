using System.Threading.Channels;
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
}

/// <summary>
/// Appends with group commit: concurrent callers are gathered into one transaction (one fsync) and each is answered
/// when that transaction has committed. Several nodes may append to one PostgreSQL at once: each batch numbers its
/// events from the head it locked, so the ledger stays one tree.
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
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <summary>The last append accepted: appends are written in the order accepted, so when it is done, all before it are.</summary>
    private Task _last = Task.CompletedTask;

    public LedgerWriter(ILedgerStore store, TimeProvider time, string nodeId)
    {
        _store = store;
        _time = time;
        _nodeId = nodeId;
        _loop = Task.Run(RunAsync);
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

    public async Task<IReadOnlyList<RecordedEvent>> AppendAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<RecordedRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(rows);
        if (entries.Count is 0 or > MaxBatch)
        {
            throw new ArgumentException($"Between 1 and {MaxBatch} events are recorded at once.", nameof(entries));
        }

        // Written out on the caller's thread: the writer, which every append waits for, only adds numbers and time.
        var prepared = new PreparedEvent[entries.Count];
        for (var i = 0; i < prepared.Length; i++)
        {
            prepared[i] = LedgerEventFormat.Prepare(entries[i], _nodeId);
        }

        var done = new TaskCompletionSource<IReadOnlyList<RecordedEvent>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queue)
        {
            // Under the lock, so that _last is always the append accepted last.
            if (!_queue.Writer.TryWrite(new Pending(prepared, rows, done)))
            {
                throw new InvalidOperationException("The ledger is shut down; nothing more can be recorded.");
            }

            _last = done.Task;
        }

        // A cancelled caller stops waiting, but the events may still be written: the ledger never drops what it accepted.
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task last;
        lock (_queue)
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

    private async Task RunAsync()
    {
        var batch = new List<Pending>();
        var reader = _queue.Reader;
        Pending? carried = null;
        while (carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var events = 0;
            if (carried is not null)
            {
                batch.Add(carried);
                events = carried.Entries.Length;
                carried = null;
            }

            while (reader.TryRead(out var pending))
            {
                if (events + pending.Entries.Length > MaxBatch)
                {
                    carried = pending; // first in the next transaction: a caller's events are never split
                    break;
                }

                batch.Add(pending);
                events += pending.Entries.Length;
            }

            if (batch.Count == 0)
            {
                continue;
            }

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
            finally
            {
                // Every caller of the batch has its answer (or its failure): the events' pooled buffers go back.
                Release(batch);
            }
        }
    }

    private static void Release(List<Pending> batch)
    {
        foreach (var item in batch)
        {
            foreach (var prepared in item.Entries)
            {
                prepared.Dispose();
            }
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
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
