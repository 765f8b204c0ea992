using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Skybridge.Core.Ledger.Verification;

/// <summary>What is wrong with a ledger, at its first bad place.</summary>
public enum LedgerProblemKind
{
    /// <summary>An event's bytes differ from what was recorded (its leaf hash, or a signed checkpoint's root).</summary>
    Changed,

    /// <summary>An event is gone: a sequence number is skipped, or a signed checkpoint covers more events than exist.</summary>
    Missing,

    /// <summary>Events are out of order: a row holds the event recorded at another position.</summary>
    Reordered,

    /// <summary>An event that was never recorded sits among recorded ones.</summary>
    Inserted,

    /// <summary>A checkpoint's signature does not verify with the given keys.</summary>
    BadSignature,

    /// <summary>A checkpoint was signed by a key that is not among the given keys.</summary>
    UnknownKey,

    /// <summary>A checkpoint belongs to another ledger (its origin differs).</summary>
    ForeignCheckpoint,

    /// <summary>Something is not in the expected format (an event that is not JSON, a note that is not a checkpoint).</summary>
    Malformed,
}

/// <summary>The first problem found: what, where (event index, when it can be located), and a sentence for people.</summary>
public sealed record LedgerProblem(LedgerProblemKind Kind, long? Index, string Detail);

/// <summary>
/// One stored event as an audit reads it: its sequence number, its body's UTF-8 bytes (exactly as hashed) and the
/// leaf hash stored beside it (empty when there is none, as in a bundle). The memory may be a slice of a larger
/// page buffer, so reading a ledger does not allocate per event.
/// </summary>
public readonly record struct LedgerAuditRow(long Sequence, ReadOnlyMemory<byte> Body, ReadOnlyMemory<byte> StoredLeafHash);

/// <summary>The outcome of an audit. <see cref="Verified"/> is true only when every event and every checkpoint checked out.</summary>
public sealed record LedgerAuditResult(bool Verified, long Events, int Checkpoints, byte[] Root, LedgerProblem? Problem);

/// <summary>
/// Re-derives a ledger from its events and checks it against signed checkpoints. Used for the store
/// (<c>skybridge ledger verify</c>) and for an exported bundle, offline: it trusts nothing but the public keys it is
/// given. Feed events in stored order with <see cref="Add"/>, then call <see cref="Finish"/>.
/// </summary>
public sealed class LedgerAuditor
{
    private readonly string? _origin;
    private readonly IReadOnlyList<LedgerVerifierKey> _keys;
    private readonly List<Checkpoint> _checkpoints = [];
    private readonly MerkleFrontier _frontier = MerkleFrontier.FromHashes(0, []);
    private int _nextCheckpoint;
    private long _previousCheckpointSize;
    private LedgerProblem? _problem;

    // A row holding a later event: decided once that later position is seen (a swap) or not (a removal).
    private (long Row, long BodySequence)? _pendingDisplacement;

    /// <param name="origin">The ledger's origin; checkpoints naming another are refused. Null: taken from the first checkpoint.</param>
    /// <param name="keys">The public keys trusted to sign checkpoints (current and rotated-out ones).</param>
    /// <param name="signedCheckpoints">C2SP signed notes, any order.</param>
    public LedgerAuditor(string? origin, IReadOnlyList<LedgerVerifierKey> keys, IEnumerable<string> signedCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(signedCheckpoints);
        _origin = origin;
        _keys = keys;
        foreach (var note in signedCheckpoints)
        {
            if (!CheckNote(note))
            {
                break;
            }
        }

        _checkpoints.Sort((a, b) => a.Size.CompareTo(b.Size));
    }

    /// <summary>True while no problem has been found.</summary>
    public bool IsClean => _problem is null;

    private bool CheckNote(string note)
    {
        var verification = SignedNote.Verify(note, _keys);
        if (!verification.IsVerified)
        {
            var kind = verification.Error == NoteVerificationError.UnknownKey ? LedgerProblemKind.UnknownKey
                : verification.Error == NoteVerificationError.BadSignature ? LedgerProblemKind.BadSignature
                : LedgerProblemKind.Malformed;
            _problem = new LedgerProblem(kind, null, $"A checkpoint does not verify: {verification.Message}");
            return false;
        }

        if (!Checkpoint.TryParseBody(verification.Body!, out var checkpoint) || checkpoint is null)
        {
            _problem = new LedgerProblem(LedgerProblemKind.Malformed, null, "A signed note is not a checkpoint (origin, size, root hash).");
            return false;
        }

        var origin = _origin ?? (_checkpoints.Count > 0 ? _checkpoints[0].Origin : checkpoint.Origin);
        if (!string.Equals(checkpoint.Origin, origin, StringComparison.Ordinal))
        {
            _problem = new LedgerProblem(LedgerProblemKind.ForeignCheckpoint, null, $"The checkpoint at size {checkpoint.Size} belongs to ledger '{checkpoint.Origin}', not '{origin}'.");
            return false;
        }

        _checkpoints.Add(checkpoint);
        return true;
    }

    /// <summary>Checks the next stored event. <paramref name="storedLeafHash"/> is the hash stored beside it, if any.</summary>
    /// <returns>False once a problem is found (later calls are ignored).</returns>
    public bool Add(long rowSequence, string body, byte[]? storedLeafHash)
    {
        ArgumentNullException.ThrowIfNull(body);
        var bytes = Encoding.UTF8.GetBytes(body);
        return Check(rowSequence, BodySequence(bytes), MerkleHash.Leaf(bytes), storedLeafHash);
    }

    /// <summary>
    /// Checks a page of stored events in order. Hashing and parsing, the expensive part, run in parallel across
    /// cores; the order-dependent checks then run in sequence.
    /// </summary>
    /// <returns>False once a problem is found.</returns>
    public bool AddRange(IReadOnlyList<(long Sequence, string Body, byte[]? StoredLeafHash)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return AddRange(events.Select(e => new LedgerAuditRow(e.Sequence, Encoding.UTF8.GetBytes(e.Body), e.StoredLeafHash ?? ReadOnlyMemory<byte>.Empty)).ToList());
    }

    /// <summary>As <see cref="AddRange(IReadOnlyList{ValueTuple{long, string, byte[]}})"/>, over rows as the store reads them.</summary>
    public bool AddRange(IReadOnlyList<LedgerAuditRow> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var leaves = new byte[events.Count][];
        var sequences = new long?[events.Count];
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, events.Count, 1024), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                var body = events[i].Body.Span;
                leaves[i] = MerkleHash.Leaf(body);
                sequences[i] = BodySequence(body);
            }
        });

        // Fast path for the common case, an intact page: every row is where it should be and matches its stored
        // hash. Then the tree is extended in aligned blocks hashed in parallel. Anything unusual takes the
        // row-by-row path, which locates the problem.
        if (_problem is null && _pendingDisplacement is null && IsIntact(events, sequences, leaves))
        {
            AppendIntact(leaves);
            return _problem is null;
        }

        for (var i = 0; i < events.Count; i++)
        {
            var stored = events[i].StoredLeafHash;
            if (!Check(events[i].Sequence, sequences[i], leaves[i], stored.IsEmpty ? null : stored.ToArray()))
            {
                return false;
            }
        }

        return true;
    }

    private const int BlockLevel = 12;

    private bool IsIntact(IReadOnlyList<LedgerAuditRow> events, long?[] sequences, byte[][] leaves)
    {
        var start = _frontier.Size;
        for (var i = 0; i < events.Count; i++)
        {
            var expected = start + i;
            if (events[i].Sequence != expected || sequences[i] != expected
                || (!events[i].StoredLeafHash.IsEmpty && !leaves[i].AsSpan().SequenceEqual(events[i].StoredLeafHash.Span)))
            {
                return false;
            }
        }

        return true;
    }

    private void AppendIntact(byte[][] leaves)
    {
        const int block = 1 << BlockLevel;
        var i = 0;
        while (i < leaves.Length)
        {
            // Stop exactly at every checkpoint size so its root can be compared.
            var stop = leaves.Length;
            if (_nextCheckpoint < _checkpoints.Count)
            {
                var remaining = _checkpoints[_nextCheckpoint].Size - _frontier.Size;
                if (remaining > 0)
                {
                    stop = (int)Math.Min(stop, remaining + i);
                }
            }

            // Leaves one by one up to a block boundary, whole blocks in parallel, then the rest one by one.
            while (i < stop && (_frontier.Size & (block - 1)) != 0)
            {
                _frontier.Append(leaves[i++]);
            }

            var blocks = (stop - i) / block;
            if (blocks > 0)
            {
                var roots = new byte[blocks][];
                var first = i;
                Parallel.For(0, blocks, b => roots[b] = MerkleTree.Root(new ArraySegment<byte[]>(leaves, first + (b * block), block)));
                foreach (var root in roots)
                {
                    _frontier.AppendSubtree(BlockLevel, root);
                }

                i += blocks * block;
            }

            while (i < stop)
            {
                _frontier.Append(leaves[i++]);
            }

            if (!CheckCheckpoints())
            {
                return;
            }
        }
    }

    private bool Check(long rowSequence, long? bodySequence, byte[] leaf, byte[]? storedLeafHash)
    {
        if (_problem is not null)
        {
            return false;
        }

        var expected = _frontier.Size;
        if (_pendingDisplacement is { } pending && rowSequence == pending.BodySequence)
        {
            var swapped = bodySequence == pending.Row;
            _problem = swapped
                ? new LedgerProblem(LedgerProblemKind.Reordered, pending.Row, $"Events {pending.Row} and {pending.BodySequence} were swapped.")
                : new LedgerProblem(LedgerProblemKind.Missing, pending.Row, $"The event recorded at {pending.Row} is gone; later events were moved up.");
            return false;
        }

        if (_pendingDisplacement is not null)
        {
            return true; // Keep reading until the displaced position shows up (or the end).
        }

        if (rowSequence > expected)
        {
            return Fail(LedgerProblemKind.Missing, expected, $"Events {expected} to {rowSequence - 1} are missing.");
        }

        if (rowSequence < expected)
        {
            return Fail(LedgerProblemKind.Inserted, rowSequence, $"A second event numbered {rowSequence} was inserted.");
        }

        if (bodySequence is null)
        {
            return Fail(LedgerProblemKind.Malformed, rowSequence, $"Event {rowSequence} is not a ledger event (not JSON, or no sequence number).");
        }

        if (bodySequence < rowSequence)
        {
            return Fail(LedgerProblemKind.Inserted, rowSequence, $"Position {rowSequence} holds event {bodySequence}: an event was inserted before it.");
        }

        if (bodySequence > rowSequence)
        {
            _pendingDisplacement = (rowSequence, bodySequence.Value);
            return true;
        }

        if (storedLeafHash is not null && !leaf.AsSpan().SequenceEqual(storedLeafHash))
        {
            return Fail(LedgerProblemKind.Changed, rowSequence, $"Event {rowSequence} was changed: its content no longer matches the hash recorded when it was appended.");
        }

        _frontier.Append(leaf);
        return CheckCheckpoints();
    }

    private bool CheckCheckpoints()
    {
        while (_nextCheckpoint < _checkpoints.Count && _checkpoints[_nextCheckpoint].Size == _frontier.Size)
        {
            var checkpoint = _checkpoints[_nextCheckpoint];
            if (!_frontier.Root().AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                return Fail(LedgerProblemKind.Changed, null,
                    $"The events do not match the signed checkpoint at size {checkpoint.Size}: an event between {_previousCheckpointSize} and {checkpoint.Size - 1} was changed.");
            }

            _previousCheckpointSize = checkpoint.Size;
            _nextCheckpoint++;
        }

        return true;
    }

    /// <summary>Ends the audit.</summary>
    public LedgerAuditResult Finish()
    {
        if (_problem is null && _pendingDisplacement is { } pending)
        {
            _problem = new LedgerProblem(LedgerProblemKind.Missing, pending.Row, $"The event recorded at {pending.Row} is gone; later events were moved up.");
        }

        if (_problem is null && _nextCheckpoint < _checkpoints.Count)
        {
            var covered = _checkpoints[^1].Size;
            _problem = new LedgerProblem(LedgerProblemKind.Missing, _frontier.Size,
                $"A signed checkpoint covers {covered} events but only {_frontier.Size} remain: events from {_frontier.Size} on were removed.");
        }

        return new LedgerAuditResult(_problem is null, _frontier.Size, _nextCheckpoint, _frontier.Root(), _problem);
    }

    private bool Fail(LedgerProblemKind kind, long? index, string detail)
    {
        _problem = new LedgerProblem(kind, index, detail);
        return false;
    }

    /// <summary>The top-level <c>seq</c> member of an event (the audit's hot path).</summary>
    private static long? BodySequence(ReadOnlySpan<byte> body)
    {
        // In canonical form the top-level "seq" is the last member named so: members after it (time, type, v,
        // workflow) hold no "seq", and inside strings a quote is always escaped, so the bytes ,"seq": cannot occur
        // there. Anything else falls back to the full reader.
        var at = body.LastIndexOf(",\"seq\":"u8);
        if (at >= 0)
        {
            var digits = body[(at + 7)..];
            var end = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (end > 0 && end < 19 && System.Buffers.Text.Utf8Parser.TryParse(digits[..end], out long fast, out var consumed) && consumed == end)
            {
                return fast;
            }
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSequence = reader.ValueTextEquals("seq"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isSequence)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
