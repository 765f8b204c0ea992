using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

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
    /// <summary>Event type, dotted: <c>manifest.published</c>, <c>auth.sign_in_failed</c>, <c>model.called</c>...</summary>
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
    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>An event as recorded: the entry plus what the ledger assigned, and its canonical bytes (the Merkle leaf).</summary>
public sealed record RecordedEvent(long Sequence, string Id, string Type, string? WorkflowId, string? CaseId, DateTimeOffset Time, string CanonicalJson)
{
    /// <summary>The RFC 6962 leaf hash of the canonical bytes.</summary>
    public byte[] LeafHash() => MerkleHash.Leaf(Encoding.UTF8.GetBytes(CanonicalJson));
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
        ArgumentNullException.ThrowIfNull(entry);
        var json = new JsonObject
        {
            ["v"] = Version,
            ["seq"] = sequence,
            ["id"] = entry.Id,
            ["type"] = entry.Type,
            ["time"] = FormatTime(time),
            ["node"] = nodeId,
            ["actors"] = new JsonArray(entry.Actors.Select(a => (JsonNode)new JsonObject { ["kind"] = a.Kind, ["id"] = a.Id }).ToArray()),
        };
        if (entry.WorkflowId is not null)
        {
            var workflow = new JsonObject { ["id"] = entry.WorkflowId };
            if (entry.WorkflowVersion is { } v)
            {
                workflow["version"] = v;
            }

            json["workflow"] = workflow;
        }

        if (entry.CaseId is not null)
        {
            json["case"] = entry.CaseId;
        }

        if (entry.Resource is { } r)
        {
            var resource = new JsonObject { ["kind"] = r.Kind, ["id"] = r.Id };
            if (r.Fields is { Count: > 0 })
            {
                resource["fields"] = new JsonArray(r.Fields.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
            }

            json["resource"] = resource;
        }

        if (entry.Rules is { Count: > 0 })
        {
            json["rules"] = new JsonArray(entry.Rules.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        }

        if (entry.Outcome is not null)
        {
            json["outcome"] = entry.Outcome;
        }

        if (entry.InputHashes is { Count: > 0 })
        {
            json["inputs"] = Digests(entry.InputHashes);
        }

        if (entry.OutputHashes is { Count: > 0 })
        {
            json["outputs"] = Digests(entry.OutputHashes);
        }

        if (entry.Content is not null)
        {
            json["content"] = entry.Content.DeepClone();
        }

        if (entry.Follows is { Count: > 0 })
        {
            json["follows"] = new JsonArray(entry.Follows.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        }

        return new RecordedEvent(sequence, entry.Id, entry.Type, entry.WorkflowId, entry.CaseId, time, CanonicalJson.ToCanonicalString(json));
    }

    private static JsonObject Digests(IReadOnlyDictionary<string, string> digests)
    {
        var result = new JsonObject();
        foreach (var (name, digest) in digests)
        {
            result[name] = digest;
        }

        return result;
    }
}
