using System.Text.Json;
using Skybridge.Storage;

namespace Skybridge.Application.Agents;

/// <summary>One ledger event in which an agent acted.</summary>
public sealed record AgentEventView(long Sequence, string Type, DateTimeOffset At, string? CaseId, string? Outcome, IReadOnlyList<string> Actors);

/// <summary>An agent of a workflow and its most recent ledger events (newest first; empty when not read).</summary>
public sealed record AgentActivityView(StoredAgent Agent, IReadOnlyList<AgentEventView> Recent);

/// <summary>A workflow's agents with what each did lately.</summary>
public sealed record WorkflowAgentsView(IReadOnlyList<AgentActivityView> Agents, int EventsScanned, bool ScanExhausted);

/// <summary>
/// A workflow's agents and their recent activity from the ledger: the tokens they were issued, the cases they
/// submitted, the actions they proposed and what was decided with them. The ledger has no actor column, so the
/// workflow's events are read backwards a page at a time, up to <see cref="ScanLimit"/>, until every agent has
/// <see cref="PerAgent"/> events; older activity is the full ledger export's.
/// </summary>
public sealed class AgentActivity
{
    /// <summary>Events shown per agent.</summary>
    public const int PerAgent = 10;

    /// <summary>The most of the workflow's recent events read for one page.</summary>
    public const int ScanLimit = 2_000;

    private const int PageSize = 250;

    private readonly IAgentStore _agents;
    private readonly ILedgerStore _ledger;

    public AgentActivity(IAgentStore agents, ILedgerStore ledger)
    {
        _agents = agents;
        _ledger = ledger;
    }

    /// <summary>Every agent of <paramref name="workflowId"/>; with <paramref name="withActivity"/>, each with its recent events.</summary>
    public async Task<WorkflowAgentsView> ListAsync(string workflowId, bool withActivity, CancellationToken cancellationToken)
    {
        var agents = await _agents.ListAgentsAsync(workflowId, cancellationToken).ConfigureAwait(false);
        var recent = agents.ToDictionary(a => a.ClientId, _ => new List<AgentEventView>(), StringComparer.Ordinal);
        var scanned = 0;
        var exhausted = !withActivity || agents.Count == 0;
        var before = long.MaxValue;
        while (!exhausted && scanned < ScanLimit && recent.Values.Any(r => r.Count < PerAgent))
        {
            var page = await _ledger.ReadLedgerWorkflowRecentAsync(workflowId, before, Math.Min(PageSize, ScanLimit - scanned), cancellationToken).ConfigureAwait(false);
            scanned += page.Count;
            exhausted = page.Count == 0;
            foreach (var e in page)
            {
                before = e.Sequence;
                using var doc = JsonDocument.Parse(e.Body);
                var actors = Actors(doc.RootElement);
                var view = new AgentEventView(e.Sequence, e.Type, e.At, e.CaseId, Text(doc.RootElement, "outcome"), [.. actors.Select(a => a.Kind + ":" + a.Id)]);
                foreach (var id in actors.Select(a => a.Id).Distinct(StringComparer.Ordinal))
                {
                    if (recent.TryGetValue(id, out var list) && list.Count < PerAgent)
                    {
                        list.Add(view);
                    }
                }
            }
        }

        return new WorkflowAgentsView([.. agents.Select(a => new AgentActivityView(a, recent[a.ClientId]))], scanned, exhausted);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<(string Kind, string Id)> Actors(JsonElement e) =>
        e.TryGetProperty("actors", out var actors) && actors.ValueKind == JsonValueKind.Array
            ? [.. actors.EnumerateArray().Select(a => (Text(a, "kind") ?? "", Text(a, "id") ?? ""))]
            : [];
}
