using System.Text.Json;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Verification;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>An inclusion proof for one event against a tree size (RFC 6962 §2.1.1), as served over HTTP and the CLI.</summary>
public sealed record InclusionProofResult(long Index, long TreeSize, string LeafHash, IReadOnlyList<string> Proof, string RootHash);

/// <summary>A consistency proof between two tree sizes (RFC 6962 §2.1.2).</summary>
public sealed record ConsistencyProofResult(long FromSize, long ToSize, IReadOnlyList<string> Proof, string FromRoot, string ToRoot);

/// <summary>
/// Reading side of the ledger: signed checkpoints, proofs, audits of the whole store, export bundles and case replay.
/// Appending goes through <see cref="ILedger"/>.
/// </summary>
public sealed class LedgerService
{
    private const int Page = 10_000;

    /// <summary>Audit pages are whole multiples of the auditor's 4,096-leaf blocks, so nearly all hashing runs in parallel.</summary>
    private const int AuditPage = 65_536;
    private readonly ILedgerStore _store;
    private readonly TimeProvider _time;
    private volatile LedgerSigner? _signer;

    /// <param name="store">Where the ledger lives.</param>
    /// <param name="time">The clock for checkpoint times.</param>
    /// <param name="signer">The node's signing key; null for read-only use (verification, proofs).</param>
    public LedgerService(ILedgerStore store, TimeProvider time, LedgerSigner? signer)
    {
        _store = store;
        _time = time;
        _signer = signer;
    }

    /// <summary>Gives a node its signing key once it is loaded (start-up loads it asynchronously, after construction).</summary>
    public void UseSigner(LedgerSigner signer) => _signer = signer ?? throw new ArgumentNullException(nameof(signer));

    /// <summary>Signs and stores a checkpoint of the current head (none when the ledger is empty or unchanged).</summary>
    public async Task<StoredCheckpoint?> CheckpointAsync(CancellationToken cancellationToken)
    {
        if (_signer is null)
        {
            throw new InvalidOperationException("This node has no ledger key; it cannot sign checkpoints.");
        }

        var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
        if (head.Size == 0)
        {
            return null;
        }

        var latest = await _store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest.Size == head.Size)
        {
            return latest;
        }

        var root = MerkleFrontier.FromHashes(head.Size, head.Frontier).Root();
        var note = _signer!.Sign(new Checkpoint(head.Origin, head.Size, root).ToBody());
        var stored = new StoredCheckpoint(head.Size, root, _time.GetUtcNow(), note);
        await _store.SaveCheckpointAsync(stored, cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>The newest checkpoint, or null before the first.</summary>
    public Task<StoredCheckpoint?> LatestCheckpointAsync(CancellationToken cancellationToken) =>
        _store.GetLatestCheckpointAsync(cancellationToken);

    /// <summary>Inclusion proof of event <paramref name="index"/> in the tree of <paramref name="treeSize"/> events; null when out of range.</summary>
    public async Task<InclusionProofResult?> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken)
    {
        var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
        if (index < 0 || treeSize <= index || treeSize > head.Size)
        {
            return null;
        }

        var source = new LedgerNodeSource(_store, treeSize);
        var proof = MerkleTree.InclusionProof(index, treeSize, source);
        // The head's frontier already holds the current root; older sizes are re-derived from stored nodes.
        var root = treeSize == head.Size ? MerkleFrontier.FromHashes(head.Size, head.Frontier).Root() : MerkleTree.RangeHash(0, treeSize, source);
        return new InclusionProofResult(index, treeSize, Hex(source.LeafHash(index)), proof.Select(Hex).ToList(), Hex(root));
    }

    /// <summary>Consistency proof from <paramref name="fromSize"/> to <paramref name="toSize"/>; null when out of range.</summary>
    public async Task<ConsistencyProofResult?> ConsistencyProofAsync(long fromSize, long toSize, CancellationToken cancellationToken)
    {
        var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
        if (fromSize < 1 || fromSize > toSize || toSize > head.Size)
        {
            return null;
        }

        var source = new LedgerNodeSource(_store, toSize);
        var proof = MerkleTree.ConsistencyProof(fromSize, toSize, source);
        return new ConsistencyProofResult(fromSize, toSize, proof.Select(Hex).ToList(), Hex(MerkleTree.RangeHash(0, fromSize, source)), Hex(MerkleTree.RangeHash(0, toSize, source)));
    }

    /// <summary>
    /// Re-hashes every stored event and checks every checkpoint. <paramref name="trustedKeys"/>: the public keys to
    /// accept; when empty, the keys recorded in the store (and the node's own) are used.
    /// </summary>
    public async Task<LedgerAuditResult> AuditAsync(IReadOnlyList<LedgerVerifierKey> trustedKeys, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
        var keys = trustedKeys.Count > 0 ? trustedKeys : await StoredKeysAsync(cancellationToken).ConfigureAwait(false);
        var checkpoints = await _store.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var auditor = new LedgerAuditor(head.Origin, keys, checkpoints.Select(c => c.Note));
        // Two pages are read ahead, each on its own thread and connection (SQLite reads block), while the current one
        // is hashed. Pages start at fixed sequence numbers: a page shorter than a full one is the end of the ledger.
        // Where rows are missing, pages overlap; the auditor stops at the first problem, which comes before any overlap.
        var inFlight = new Queue<Task<IReadOnlyList<LedgerAuditRow>>>();
        long nextStart = 0;
        void ReadAhead()
        {
            var start = nextStart;
            inFlight.Enqueue(Task.Run(() => _store.ReadLedgerForAuditAsync(start, AuditPage, cancellationToken), cancellationToken));
            nextStart += AuditPage;
        }

        ReadAhead();
        ReadAhead();
        while (inFlight.Count > 0)
        {
            var page = await inFlight.Dequeue().ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            if (page.Count == AuditPage)
            {
                ReadAhead();
            }

            var clean = auditor.AddRange(page);
            progress?.Report(page[^1].Sequence + 1);
            if (!clean)
            {
                break;
            }
        }

        // Let the reads in flight finish before the store may be disposed.
        foreach (var pending in inFlight)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StoreUnavailableException or OperationCanceledException)
            {
                // A read after the problem was found changes nothing.
            }
        }

        return auditor.Finish();
    }

    /// <summary>The public keys recorded in the store (every key ever used, so rotated-out keys still verify).</summary>
    public async Task<IReadOnlyList<LedgerVerifierKey>> StoredKeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<LedgerVerifierKey>();
        foreach (var text in await _store.ListLedgerKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            if (LedgerVerifierKey.TryParse(text, out var key) && key is not null)
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <summary>
    /// Writes an export bundle: every event, every checkpoint, consistency proofs between consecutive checkpoints
    /// and the public keys, as one JSON document that <see cref="LedgerBundle.Verify"/> checks with no server and no database.
    /// </summary>
    public async Task<long> ExportAsync(Stream destination, CancellationToken cancellationToken)
    {
        var head = await _store.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false);
        var checkpoints = await _store.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var keys = await _store.ListLedgerKeysAsync(cancellationToken).ConfigureAwait(false);
        await using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        writer.WriteString("format", LedgerBundle.Format);
        writer.WriteString("origin", head.Origin);
        writer.WriteString("exportedAt", Core.Ledger.Events.LedgerEventFormat.FormatTime(_time.GetUtcNow()));
        writer.WriteStartArray("keys");
        foreach (var key in keys)
        {
            writer.WriteStringValue(key);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("checkpoints");
        StoredCheckpoint? previous = null;
        foreach (var checkpoint in checkpoints)
        {
            writer.WriteStartObject();
            writer.WriteString("note", checkpoint.Note);
            if (previous is not null)
            {
                var proof = await ConsistencyProofAsync(previous.Size, checkpoint.Size, cancellationToken).ConfigureAwait(false);
                writer.WriteStartArray("consistencyFromPrevious");
                foreach (var element in proof?.Proof ?? [])
                {
                    writer.WriteStringValue(element);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            previous = checkpoint;
        }

        writer.WriteEndArray();
        writer.WriteStartArray("events");
        long count = 0;
        for (long next = 0; ;)
        {
            var page = await _store.ReadLedgerEventsAsync(next, Page, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var e in page)
            {
                writer.WriteStringValue(e.Body);
                count++;
            }

            next = page[^1].Sequence + 1;
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    internal static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
