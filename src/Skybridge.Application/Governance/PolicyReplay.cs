using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Governance;

/// <summary>Why a replay could not run.</summary>
public enum PolicyReplayStatus
{
    /// <summary>The recorded decisions were decided again.</summary>
    Replayed,

    /// <summary>No such workflow.</summary>
    UnknownWorkflow,

    /// <summary>The candidate manifest does not validate (see the diagnostics).</summary>
    InvalidCandidate,

    /// <summary>The candidate manifest declares another workflow.</summary>
    WorkflowMismatch,
}

/// <summary>Stable codes of replay refusals (API and CLI).</summary>
public static class PolicyReplayCodes
{
    /// <summary>No such workflow.</summary>
    public const string UnknownWorkflow = "unknown_workflow";

    /// <summary>The candidate does not validate.</summary>
    public const string InvalidManifest = "invalid_manifest";

    /// <summary>The candidate names another workflow.</summary>
    public const string WorkflowMismatch = "workflow_id_mismatch";

    /// <summary>The <c>since</c> duration cannot be read.</summary>
    public const string InvalidSince = "invalid_since";
}

/// <summary>The decisions of a workflow decided again under a candidate manifest, or why that could not be done.</summary>
public sealed record PolicyReplayResult
{
    /// <summary>Replayed, or the reason it was not.</summary>
    public required PolicyReplayStatus Status { get; init; }

    /// <summary>A sentence for people when not replayed.</summary>
    public string? Message { get; init; }

    /// <summary>The candidate's problems (errors and warnings), with file:line:column.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = [];

    /// <summary>Every recorded decision in the window, decided again, in ledger order.</summary>
    public IReadOnlyList<ReplayedDecision> Decisions { get; init; } = [];

    /// <summary>The earliest decision time considered, or null for all.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Decisions whose outcome or disposition would change.</summary>
    public IEnumerable<ReplayedDecision> Flipped => Decisions.Where(d => d.Verdict == ReplayVerdict.Flipped);

    /// <summary>Decisions the candidate would decide on values the ledger did not record.</summary>
    public IEnumerable<ReplayedDecision> Uncertain => Decisions.Where(d => d.Verdict == ReplayVerdict.Uncertain);

    /// <summary>How many stay as they were.</summary>
    public int UnchangedCount => Decisions.Count(d => d.Verdict == ReplayVerdict.Unchanged);
}

/// <summary>
/// <c>skybridge policy replay</c> and <c>POST /api/workflows/{id}/policy/replay</c>: every policy decision recorded
/// for a workflow (<c>policy.decided</c> with its <c>action.proposed</c>) decided again under a candidate manifest's
/// policy and autonomy level, so the impact of a policy change is known before it is activated.
/// </summary>
/// <remarks>
/// The request is rebuilt from the ledger: the agent's role (recorded since replay exists; for older events the
/// agent's current role), the actor chain, the case, the recorded values and the event's time of day. Free text is
/// never recorded, so a candidate rule that tests it makes the decision uncertain rather than flipped.
/// </remarks>
public sealed class PolicyReplay(IWorkflowStore workflows, ILedgerStore ledger, IAgentStore agents, TimeProvider time)
{
    private const int Page = 1000;

    /// <summary>Decides again every decision recorded for <paramref name="workflowId"/> since <paramref name="since"/> ago.</summary>
    public async Task<PolicyReplayResult> ReplayAsync(string workflowId, PolicySource candidate, TimeSpan? since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(candidate);
        if (await workflows.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false) is null)
        {
            return new PolicyReplayResult { Status = PolicyReplayStatus.UnknownWorkflow, Message = $"Workflow '{workflowId}' does not exist." };
        }

        if (candidate.Load.Manifest is not { } manifest)
        {
            return new PolicyReplayResult
            {
                Status = PolicyReplayStatus.InvalidCandidate,
                Message = $"The candidate manifest has {candidate.Load.Diagnostics.Count(d => d.IsError)} error(s).",
                Diagnostics = candidate.Load.Diagnostics,
            };
        }

        if (!string.Equals(manifest.Id, workflowId, StringComparison.Ordinal))
        {
            return new PolicyReplayResult
            {
                Status = PolicyReplayStatus.WorkflowMismatch,
                Message = $"The candidate manifest declares workflow '{manifest.Id}', not '{workflowId}'.",
                Diagnostics = candidate.Load.Diagnostics,
            };
        }

        var policy = CompiledPolicy.Compile(manifest);
        DateTimeOffset? from = since is { } window ? time.GetUtcNow() - window : null;
        var versions = new Dictionary<int, WorkflowManifest?>();
        var roles = new Dictionary<string, string?>(StringComparer.Ordinal);
        var proposals = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var replayed = new List<ReplayedDecision>();
        for (long next = 0; ;)
        {
            var page = await ledger.ReadLedgerEventsAsync(next, Page, cancellationToken).ConfigureAwait(false);
            foreach (var e in page)
            {
                if (!string.Equals(e.WorkflowId, workflowId, StringComparison.Ordinal)
                    || (e.Type != LedgerEventTypes.ActionProposed && e.Type != LedgerEventTypes.PolicyDecided))
                {
                    continue;
                }

                using var document = JsonDocument.Parse(e.Body);
                var body = document.RootElement.Clone();
                var actionId = body.TryGetProperty("resource", out var resource) ? Text(resource, "id") : null;
                if (actionId is null)
                {
                    continue;
                }

                if (e.Type == LedgerEventTypes.ActionProposed)
                {
                    proposals[actionId] = body;
                    continue;
                }

                if (from is { } earliest && e.At < earliest)
                {
                    continue;
                }

                if (proposals.TryGetValue(actionId, out var proposed))
                {
                    var recorded = await RecordedAsync(workflowId, manifest, actionId, e.At, proposed, body, versions, roles, cancellationToken).ConfigureAwait(false);
                    replayed.Add(DecisionReplay.Redecide(recorded, policy));
                }
            }

            if (page.Count < Page)
            {
                break;
            }

            next = page[^1].Sequence + 1;
        }

        return new PolicyReplayResult { Status = PolicyReplayStatus.Replayed, Decisions = replayed, Diagnostics = candidate.Load.Diagnostics, Since = from };
    }

    /// <summary>The replay as <c>--json</c> and the API show it: totals, then every decision that flips or is uncertain.</summary>
    public static JsonObject ToJson(string workflowId, string candidate, PolicyReplayResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new JsonObject
        {
            ["workflow"] = workflowId,
            ["candidate"] = candidate,
            ["since"] = result.Since is { } since ? LedgerEventFormat.FormatTime(since) : null,
            ["totals"] = new JsonObject
            {
                ["redecided"] = result.Decisions.Count,
                ["flipped"] = result.Flipped.Count(),
                ["unchanged"] = result.UnchangedCount,
                ["uncertain"] = result.Uncertain.Count(),
            },
            ["changes"] = new JsonArray([.. result.Decisions.Where(d => d.Verdict != ReplayVerdict.Unchanged).Select(d => (JsonNode)new JsonObject
            {
                ["verdict"] = d.Verdict.ToString().ToLowerInvariant(),
                ["time"] = LedgerEventFormat.FormatTime(d.Recorded.At),
                ["action_id"] = d.Recorded.ActionId,
                ["action"] = d.Recorded.Action,
                ["case_id"] = d.Recorded.CaseId,
                ["old_outcome"] = OutcomeName(d.Recorded.Outcome),
                ["new_outcome"] = OutcomeName(d.Outcome),
                ["old_disposition"] = d.Recorded.Disposition is { } then ? DispositionName(then) : null,
                ["new_disposition"] = DispositionName(d.Disposition),
                ["old_rules"] = new JsonArray([.. d.Recorded.Rules.Select(r => (JsonNode)r)]),
                ["new_rules"] = new JsonArray([.. d.Rules.Select(r => (JsonNode)r)]),
                ["uncertainty"] = d.Uncertainty,
            })]),
        };
    }

    /// <summary>An outcome as the ledger writes it: <c>allow</c>, <c>require_approval</c>, <c>deny</c>.</summary>
    public static string OutcomeName(PolicyOutcome outcome) => ActionAnswers.Outcome(outcome);

    /// <summary>A disposition as people read it: <c>execute</c>, <c>await_approval</c>, <c>record_proposal</c>, <c>deny</c>, <c>halted</c>.</summary>
    public static string DispositionName(Disposition disposition) => disposition switch
    {
        Disposition.AwaitApproval => "await_approval",
        Disposition.RecordProposal => "record_proposal",
        _ => disposition.ToString().ToLowerInvariant(),
    };

    /// <summary>Reads a duration written as the manifest writes them: <c>30m</c>, <c>24h</c>, <c>7d</c> (also <c>s</c>).</summary>
    public static bool TryParseSince(string? text, out TimeSpan since)
    {
        since = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2
            || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
        {
            return false;
        }

        TimeSpan? unit = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            _ => null,
        };
        if (unit is null || count > 36_500L * 86_400 / unit.Value.TotalSeconds)
        {
            return false;
        }

        since = unit.Value * count;
        return true;
    }

    private async Task<RecordedDecision> RecordedAsync(
        string workflowId, WorkflowManifest candidate, string actionId, DateTimeOffset at, JsonElement proposed, JsonElement decided,
        Dictionary<int, WorkflowManifest?> versions, Dictionary<string, string?> roles, CancellationToken cancellationToken)
    {
        var content = proposed.TryGetProperty("content", out var c) ? c : default;
        var action = content.ValueKind == JsonValueKind.Object ? Text(content, "action") ?? "" : "";
        var actors = proposed.TryGetProperty("actors", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => (Kind: Text(x, "kind") ?? "", Id: Text(x, "id") ?? "")).ToList()
            : [];

        var role = content.ValueKind == JsonValueKind.Object ? Text(content, "role") : null;
        if (role is null && actors.LastOrDefault(x => x.Kind is "agent" or "sub-agent") is { Id.Length: > 0 } agent)
        {
            // Recorded before the role was: the agent's role today is the best there is.
            if (!roles.TryGetValue(agent.Id, out role))
            {
                role = (await agents.GetAgentAsync(agent.Id, cancellationToken).ConfigureAwait(false))?.Role;
                roles[agent.Id] = role;
            }
        }

        var values = new List<PolicyArgument>();
        if (content.ValueKind == JsonValueKind.Object && content.TryGetProperty("values", out var recordedValues) && recordedValues.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in recordedValues.EnumerateObject())
            {
                switch (value.Value.ValueKind)
                {
                    case JsonValueKind.Number: values.Add(PolicyArgument.Of(value.Name, value.Value.GetDouble())); break;
                    case JsonValueKind.String: values.Add(PolicyArgument.Of(value.Name, value.Value.GetString()!)); break;
                    case JsonValueKind.True or JsonValueKind.False: values.Add(PolicyArgument.Of(value.Name, value.Value.GetBoolean())); break;
                }
            }
        }

        var version = proposed.TryGetProperty("workflow", out var w) && w.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : (int?)null;
        var then = version is { } number ? await VersionAsync(workflowId, number, versions, cancellationToken).ConfigureAwait(false) : null;
        // What the call may have carried without the ledger keeping it: the free text of the version that decided it
        // (or, when that version cannot be read, every parameter of the candidate's action without a recorded value).
        IReadOnlyCollection<string> unrecorded = then is not null
            ? [.. (then.FindAction(action)?.Parameters ?? []).Where(p => !ActionEvents.IsRecorded(p)).Select(p => p.Name)]
            : [.. (candidate.FindAction(action)?.Parameters ?? []).Select(p => p.Name).Where(name => values.All(x => x.Name != name))];

        var outcome = decided.TryGetProperty("outcome", out var o) ? o.GetString() : null;
        var decidedContent = decided.TryGetProperty("content", out var dc) ? dc : default;
        var disposition = decidedContent.ValueKind == JsonValueKind.Object && Text(decidedContent, "disposition") is { } d
            && Enum.TryParse<Disposition>(d, ignoreCase: true, out var parsed) ? parsed : (Disposition?)null;
        return new RecordedDecision
        {
            ActionId = actionId,
            Action = action,
            At = at,
            AgentRole = role,
            ActorChain = [.. actors.Select(x => x.Id)],
            CaseId = Text(proposed, "case"),
            Values = values,
            UnrecordedParameters = unrecorded,
            Outcome = outcome switch
            {
                "allow" => PolicyOutcome.Allow,
                "require_approval" => PolicyOutcome.RequireApproval,
                _ => PolicyOutcome.Deny,
            },
            Disposition = disposition,
            Rules = decided.TryGetProperty("rules", out var r) && r.ValueKind == JsonValueKind.Array ? [.. r.EnumerateArray().Select(x => x.GetString() ?? "")] : [],
        };
    }

    private async Task<WorkflowManifest?> VersionAsync(string workflowId, int version, Dictionary<int, WorkflowManifest?> versions, CancellationToken cancellationToken)
    {
        if (!versions.TryGetValue(version, out var manifest))
        {
            var stored = await workflows.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
            manifest = stored is null ? null : Manifests.ManifestService.LoadPublished(stored.Yaml);
            versions[version] = manifest;
        }

        return manifest;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
