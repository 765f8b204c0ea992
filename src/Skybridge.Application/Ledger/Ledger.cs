using System.Threading.Channels;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>
/// The one way to record an event. Every retrieval, model call, answer, decision, approval, action, configuration
/// change and halt goes through <see cref="AppendAsync"/>; the returned task completes only once the event is on disk.
/// </summary>
public interface ILedger
{
    /// <summary>Records an event and returns it as stored (sequence number = Merkle leaf index).</summary>
    Task<RecordedEvent> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default);
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

    public LedgerWriter(ILedgerStore store, TimeProvider time, string nodeId)
    {
        _store = store;
        _time = time;
        _nodeId = nodeId;
        _loop = Task.Run(RunAsync);
    }

    private sealed record Pending(LedgerEntry Entry, TaskCompletionSource<RecordedEvent> Done);

    public async Task<RecordedEvent> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var done = new TaskCompletionSource<RecordedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(entry, done)))
        {
            throw new InvalidOperationException("The ledger is shut down; nothing more can be recorded.");
        }

        // A cancelled caller stops waiting, but the event may still be written: the ledger never drops what it accepted.
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            List<RecordedEvent>? recorded = null;
            try
            {
                await _store.AppendLedgerAsync(head =>
                {
                    // Runs inside the store transaction with the head locked: numbers come from the head as it is
                    // now, which another node may have moved since this node's last batch.
                    recorded = new List<RecordedEvent>(batch.Count);
                    var frontier = MerkleFrontier.FromHashes(head.Size, head.Frontier);
                    var events = new List<StoredLedgerEvent>(batch.Count);
                    var subtrees = new List<StoredSubtree>();
                    var now = _time.GetUtcNow();
                    foreach (var item in batch)
                    {
                        var record = LedgerEventFormat.Record(item.Entry, frontier.Size, now, _nodeId);
                        var leaf = record.LeafHash();
                        frontier.Append(leaf, (level, index, hash) =>
                        {
                            if (level % StoredLevelStep == 0)
                            {
                                subtrees.Add(new StoredSubtree(level, index, hash));
                            }
                        });
                        events.Add(new StoredLedgerEvent(record.Sequence, record.Id, record.Type, record.WorkflowId, record.CaseId, record.Time, record.CanonicalJson, leaf));
                        recorded.Add(record);
                    }

                    return new LedgerWrite(events, subtrees, new LedgerHead(head.Origin, frontier.Size, frontier.Hashes));
                }).ConfigureAwait(false);

                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(recorded![i]);
                }
            }
            catch (Exception ex)
            {
                // Nothing of this batch was committed: every caller learns it, none is told "recorded".
                foreach (var item in batch)
                {
                    item.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Stops accepting events and waits until those accepted are written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
