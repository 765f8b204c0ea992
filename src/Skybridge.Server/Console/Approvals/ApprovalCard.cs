using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Approvals;

/// <summary>One policy rule as the explanation names it.</summary>
public sealed record ExplainedRule(string Id, string Effect, string? Text);

/// <summary>One vote cast on an approval.</summary>
public sealed record ApprovalVoteView(string UserName, string Verdict, DateTimeOffset At, string? Comment);

/// <summary>
/// An approval as an approver must see it before deciding: the action's parameters exactly as stored (the canonical
/// JSON the connector will send and the call digest covers), who asked for which case, how old it is and when it
/// expires, who may decide and how many must, and why policy asked for a person. Built from the stored rows only, so
/// what the page shows is what executes.
/// </summary>
public sealed class ApprovalCard
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public required StoredApproval Approval { get; init; }

    public required StoredAction Action { get; init; }

    /// <summary>The stored parameters, one row per parameter, each value as JSON text.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    /// <summary>The stored canonical parameters, byte for byte.</summary>
    public string CanonicalParameters => Action.Parameters;

    public required IReadOnlyList<string> Eligible { get; init; }

    public required IReadOnlyList<ApprovalVoteView> Votes { get; init; }

    /// <summary>The policy explanation stored with the action while it waits (null once the system's answer replaced it).</summary>
    public string? Summary { get; init; }

    public IReadOnlyList<ExplainedRule> Rules { get; init; } = [];

    public IReadOnlyList<string> WouldAllow { get; init; } = [];

    /// <summary>The system's answer once the action ran: outcome, status code, reference, error, message, result.</summary>
    public JsonObject? Result { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>The workflow is halted: a pending approval is frozen until it resumes.</summary>
    public WorkflowHalt? Halt { get; init; }

    public bool IsPending => Approval.Status == ApprovalStatuses.Pending;

    public bool IsFrozen => IsPending && Halt is not null;

    public string ShortDigest => Approval.CallDigest.Length > 16 ? Approval.CallDigest[..16] + "…" : Approval.CallDigest;

    public string Age => Duration(Now - Approval.CreatedAt);

    /// <summary>"in 23 h 59 min" while pending, or the moment it expired or closed.</summary>
    public string Expiry => Approval.ExpiresAt > Now ? "in " + Duration(Approval.ExpiresAt - Now) : "expired " + Duration(Now - Approval.ExpiresAt) + " ago";

    public string ResultText => Result is null ? "" : Result.ToJsonString(Indented);

    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalMinutes < 1 ? "under a minute"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    /// <summary>The card for <paramref name="approval"/> and its <paramref name="action"/>.</summary>
    public static ApprovalCard Of(StoredApproval approval, StoredAction action, DateTimeOffset now, WorkflowHalt? halt)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(action);
        var parameters = JsonNode.Parse(action.Parameters) as JsonObject ?? [];
        var detail = action.Detail is null ? null : JsonNode.Parse(action.Detail) as JsonObject;
        var explained = detail?["summary"] is not null;
        return new ApprovalCard
        {
            Approval = approval,
            Action = action,
            Parameters = [.. parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value?.ToJsonString() ?? "null"))],
            Eligible = JsonSerializer.Deserialize<string[]>(approval.Eligible) ?? [],
            Votes = [.. (JsonNode.Parse(approval.Votes) as JsonArray ?? []).Select(v => new ApprovalVoteView(
                (string?)v?["user"] ?? "", (string?)v?["verdict"] ?? "",
                DateTimeOffset.Parse((string?)v?["at"] ?? "0001-01-01T00:00:00Z", CultureInfo.InvariantCulture), (string?)v?["comment"]))],
            Summary = explained ? (string?)detail!["summary"] : null,
            Rules = explained && detail!["rules"] is JsonArray rules
                ? [.. rules.Select(r => new ExplainedRule((string?)r?["id"] ?? "", (string?)r?["effect"] ?? "", (string?)r?["text"]))]
                : [],
            WouldAllow = explained && detail!["would_allow"] is JsonArray would ? [.. would.Select(w => (string?)w ?? "")] : [],
            Result = detail?["outcome"] is not null ? detail : null,
            Now = now,
            Halt = halt,
        };
    }
}
