using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Cases;
using Skybridge.Server.Console.Approvals;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Cases;

/// <summary>
/// One proposed action on the case page: its parameters as stored, status, the policy's explanation (while the action
/// row still holds it: the system's answer replaces it once the call ran, and the trail's <c>policy.decided</c> event
/// keeps it), the refusal's code, the system's answer, and the approval with its decisions.
/// </summary>
public sealed class CaseActionPanel
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public required StoredAction Action { get; init; }

    /// <summary>The approval it waited for; null when it needed none, or the viewer may not read approvals.</summary>
    public ApprovalCard? Approval { get; init; }

    /// <summary>The action has an approval the viewer may not see (the approvals permission).</summary>
    public bool ApprovalHidden { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    public string? Summary { get; init; }

    public string? Code { get; init; }

    public IReadOnlyList<ExplainedRule> Rules { get; init; } = [];

    public JsonObject? Result { get; init; }

    public string ResultText => Result is null ? "" : Result.ToJsonString(Indented);

    public static CaseActionPanel Of(CaseActionView view, bool mayReadApprovals, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(view);
        var action = view.Action;
        var detail = action.Detail is null ? null : JsonNode.Parse(action.Detail) as JsonObject;
        var parameters = JsonNode.Parse(action.Parameters) as JsonObject ?? [];
        return new CaseActionPanel
        {
            Action = action,
            Approval = view.Approval is not null && mayReadApprovals ? ApprovalCard.Of(view.Approval, action, now, null) : null,
            ApprovalHidden = view.Approval is not null && !mayReadApprovals,
            Parameters = [.. parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value?.ToJsonString() ?? "null"))],
            Summary = (string?)detail?["summary"],
            Code = (string?)detail?["code"],
            Rules = detail?["rules"] is JsonArray rules
                ? [.. rules.Select(r => new ExplainedRule((string?)r?["id"] ?? "", (string?)r?["effect"] ?? "", (string?)r?["text"]))]
                : [],
            Result = detail?["outcome"] is not null ? detail : null,
        };
    }
}
