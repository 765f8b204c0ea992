using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Core.Text;

namespace Skybridge.Core.Ledger.Events;

/// <summary>Who acted, in order: the person first, then each agent acting for them (the <c>act</c> chain).</summary>
/// <param name="Kind"><c>human</c>, <c>agent</c>, <c>sub-agent</c> or <c>system</c>.</param>
/// <param name="Id">The person's user name or the agent's id. Never a token or a secret.</param>
public sealed record LedgerActor(string Kind, string Id)
{
    public static LedgerActor Human(string userName) => new("human", userName);

    public static LedgerActor Agent(string agentId) => new("agent", agentId);

    public static LedgerActor SubAgent(string agentId) => new("sub-agent", agentId);

    public static LedgerActor System(string component) => new("system", component);
}

/// <summary>What an event touched, down to field names.</summary>
public sealed record LedgerResource(string Kind, string Id, IReadOnlyList<string>? Fields = null);

/// <summary>
/// An event to record. The ledger adds the sequence number (its leaf index), the time and the node; the caller says
/// what happened. Inputs and outputs are recorded as SHA-256 digests; <see cref="Content"/> only where the data
/// boundary allows it, and never a secret or a raw token.
/// </summary>
public sealed record LedgerEntry
{
    /// <summary>Event type, one of <see cref="LedgerEventTypes"/>: <c>manifest.published</c>, <c>auth.sign_in_refused</c>, <c>model.called</c>...</summary>
    public required string Type { get; init; }

    /// <summary>The actor chain, person first.</summary>
    public required IReadOnlyList<LedgerActor> Actors { get; init; }

    public string? WorkflowId { get; init; }
    public int? WorkflowVersion { get; init; }

    /// <summary>The case (transaction) this event belongs to, if any: replay follows it.</summary>
    public string? CaseId { get; init; }

    public LedgerResource? Resource { get; init; }

    /// <summary>The policy rules that decided, by id.</summary>
    public IReadOnlyList<string>? Rules { get; init; }

    /// <summary>The decision or outcome in one word (<c>allow</c>, <c>deny</c>, <c>published</c>, <c>refused</c>...).</summary>
    public string? Outcome { get; init; }

    /// <summary>Digests of inputs, by name (lower-case hex SHA-256). Use <see cref="Digest(string)"/>.</summary>
    public IReadOnlyDictionary<string, string>? InputHashes { get; init; }

    /// <summary>Digests of outputs, by name.</summary>
    public IReadOnlyDictionary<string, string>? OutputHashes { get; init; }

    /// <summary>Contents kept in the ledger where the data boundary allows (passages, prompts, answers).</summary>
    public JsonObject? Content { get; init; }

    /// <summary>Ids of the events this one follows from (the chain of custody).</summary>
    public IReadOnlyList<string>? Follows { get; init; }

    /// <summary>The event id; a new one is made when not given, so callers can link events before appending.</summary>
    public string Id { get; init; } = NewId();

    /// <summary>A new event id: 128 random bits, hex.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Lower-case hex SHA-256 of a text's UTF-8 bytes.</summary>
    public static string Digest(string text) => TextDigest.Sha256(text);
}

/// <summary>An event as recorded: the entry plus what the ledger assigned, and its canonical bytes (the Merkle leaf).</summary>
public sealed record RecordedEvent(long Sequence, string Id, string Type, string? WorkflowId, string? CaseId, DateTimeOffset Time, string CanonicalJson)
{
    /// <summary>The RFC 6962 leaf hash of the canonical bytes.</summary>
    public byte[] LeafHash()
    {
        // The bytes are only hashed: a rented buffer, since the ledger's writer hashes every event while it holds the head.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(CanonicalJson.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(CanonicalJson, buffer);
            return MerkleHash.Leaf(buffer.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// An entry's canonical form without its sequence number and time: the members before them (the head) and after them
/// (the tail), held in one pooled buffer until <see cref="Dispose"/>. The ledger's writer prepares every event this way
/// and builds the event's one string only when it numbers it, so no head and tail strings are made and copied again.
/// </summary>
public sealed class PreparedEvent : IDisposable
{
    private char[]? _buffer;
    private readonly int _headLength;
    private readonly int _length;

    internal PreparedEvent(LedgerEntry entry, char[] buffer, int headLength, int length)
    {
        Entry = entry;
        _buffer = buffer;
        _headLength = headLength;
        _length = length;
    }

    /// <summary>The entry this was prepared from.</summary>
    public LedgerEntry Entry { get; }

    /// <summary>The members before <c>seq</c>, starting with <c>{</c>.</summary>
    public ReadOnlySpan<char> Head => Buffer.AsSpan(0, _headLength);

    /// <summary>The members after <c>time</c>, ending with <c>}</c>.</summary>
    public ReadOnlySpan<char> Tail => Buffer.AsSpan(_headLength, _length - _headLength);

    private char[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PreparedEvent));

    /// <summary>Gives the buffer back to the pool; the event cannot be recorded from it afterwards.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }
}

/// <summary>Turns an entry into its canonical (RFC 8785) JSON form, the exact bytes the Merkle tree commits to.</summary>
public static class LedgerEventFormat
{
    /// <summary>Format version written into every event as <c>v</c>.</summary>
    public const int Version = 1;

    /// <summary>UTC with microseconds, as the ledger writes times.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The canonical JSON of an entry recorded at <paramref name="sequence"/>.</summary>
    public static RecordedEvent Record(LedgerEntry entry, long sequence, DateTimeOffset time, string nodeId)
    {
        using var prepared = Prepare(entry, nodeId);
        return Record(prepared, sequence, FormatTime(time), time);
    }

    /// <summary>
    /// The event at <paramref name="sequence"/> from an entry <see cref="Prepare"/>d before: only the sequence number and
    /// the time (<paramref name="formattedTime"/> is <see cref="FormatTime"/> of <paramref name="time"/>) are added, so
    /// the ledger's writer, which numbers events one batch at a time, does the least while it holds the head.
    /// </summary>
    public static RecordedEvent Record(PreparedEvent prepared, long sequence, string formattedTime, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(formattedTime);
        var entry = prepared.Entry;
        // The one string of the event, written once at its final length: head, seq, time, tail.
        Span<char> digits = stackalloc char[20];
        sequence.TryFormat(digits, out var digitCount, provider: CultureInfo.InvariantCulture);
        var length = prepared.Head.Length + SeqMember.Length + digitCount + TimeMember.Length + formattedTime.Length + 1 + prepared.Tail.Length;
        var json = string.Create(length, (prepared, sequence, formattedTime), static (output, state) =>
        {
            var (p, seq, formatted) = state;
            var at = Put(output, 0, p.Head);
            at = Put(output, at, SeqMember);
            seq.TryFormat(output[at..], out var written, provider: CultureInfo.InvariantCulture);
            at = Put(output, at + written, TimeMember);
            at = Put(output, at, formatted);
            output[at++] = '"';
            Put(output, at, p.Tail);
        });
        return new RecordedEvent(sequence, entry.Id, entry.Type, entry.WorkflowId, entry.CaseId, time, json);
    }

    private const string SeqMember = ",\"seq\":";
    private const string TimeMember = ",\"time\":\"";

    private static int Put(Span<char> output, int at, ReadOnlySpan<char> text)
    {
        text.CopyTo(output[at..]);
        return at + text.Length;
    }

    /// <summary>
    /// The canonical JSON of an entry but for its sequence number and time, which fall between the members before
    /// <c>seq</c> (<see cref="PreparedEvent.Head"/>) and those after <c>time</c> (<see cref="PreparedEvent.Tail"/>).
    /// The caller disposes the result once it has recorded the event (and will not record it again).
    /// </summary>
    /// <remarks>
    /// Written directly in RFC 8785 form (members in UTF-16 order, minimal string escaping, integers as digits) rather
    /// than through a JSON tree: this runs for every event on the append path. Tests check the result equals the
    /// general canonicaliser's output.
    /// </remarks>
    public static PreparedEvent Prepare(LedgerEntry entry, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(nodeId);
        // Each thread keeps its builder between events: one that grows to an event's size once, instead of a new one
        // that grows again for every event on the append path. Taken out while in use, so a nested call gets its own.
        var json = ThreadBuilder.Take(2048);
        try
        {
            return Write(entry, nodeId, json);
        }
        finally
        {
            ThreadBuilder.Keep(json);
        }
    }

    private static PreparedEvent Write(LedgerEntry entry, string nodeId, StringBuilder json)
    {
        json.Append('{');
        // Top-level members in code-unit order: actors, case, content, follows, id, inputs, node, outcome, outputs,
        // resource, rules, seq, time, type, v, workflow.
        json.Append("\"actors\":[");
        for (var i = 0; i < entry.Actors.Count; i++)
        {
            json.Append(i == 0 ? "{\"id\":" : ",{\"id\":");
            CanonicalJson.WriteString(json, entry.Actors[i].Id);
            json.Append(",\"kind\":");
            CanonicalJson.WriteString(json, entry.Actors[i].Kind);
            json.Append('}');
        }

        json.Append(']');
        if (entry.CaseId is not null)
        {
            Member(json, "case", entry.CaseId);
        }

        if (entry.Content is not null)
        {
            json.Append(",\"content\":");
            CanonicalJson.Write(json, entry.Content);
        }

        if (entry.Follows is { Count: > 0 })
        {
            json.Append(",\"follows\":");
            StringArray(json, entry.Follows);
        }

        Member(json, "id", entry.Id);
        if (entry.InputHashes is { Count: > 0 })
        {
            json.Append(",\"inputs\":");
            Digests(json, entry.InputHashes);
        }

        Member(json, "node", nodeId);
        if (entry.Outcome is not null)
        {
            Member(json, "outcome", entry.Outcome);
        }

        if (entry.OutputHashes is { Count: > 0 })
        {
            json.Append(",\"outputs\":");
            Digests(json, entry.OutputHashes);
        }

        if (entry.Resource is { } r)
        {
            json.Append(",\"resource\":{");
            if (r.Fields is { Count: > 0 })
            {
                json.Append("\"fields\":");
                StringArray(json, r.Fields);
                json.Append(',');
            }

            json.Append("\"id\":");
            CanonicalJson.WriteString(json, r.Id);
            json.Append(",\"kind\":");
            CanonicalJson.WriteString(json, r.Kind);
            json.Append('}');
        }

        if (entry.Rules is { Count: > 0 })
        {
            json.Append(",\"rules\":");
            StringArray(json, entry.Rules);
        }

        var headLength = json.Length;
        Member(json, "type", entry.Type);
        json.Append(",\"v\":").Append(Version.ToString(CultureInfo.InvariantCulture));
        if (entry.WorkflowId is not null)
        {
            json.Append(",\"workflow\":{\"id\":");
            CanonicalJson.WriteString(json, entry.WorkflowId);
            if (entry.WorkflowVersion is { } v)
            {
                json.Append(",\"version\":").Append(v.ToString(CultureInfo.InvariantCulture));
            }

            json.Append('}');
        }

        json.Append('}');
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(json.Length);
        json.CopyTo(0, buffer.AsSpan(), json.Length);
        return new PreparedEvent(entry, buffer, headLength, json.Length);
    }

    private static void Member(StringBuilder json, string name, string value)
    {
        json.Append(",\"").Append(name).Append("\":");
        CanonicalJson.WriteString(json, value);
    }

    private static void StringArray(StringBuilder json, IReadOnlyList<string> values)
    {
        json.Append('[');
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            CanonicalJson.WriteString(json, values[i]);
        }

        json.Append(']');
    }

    private static void Digests(StringBuilder json, IReadOnlyDictionary<string, string> digests) =>
        CanonicalJson.WriteMembers(json, digests, digests.Count, static (o, digest) => CanonicalJson.WriteString(o, digest));
}
