using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Accounts;
using Skybridge.Application.Actions;
using Skybridge.Application.Ledger;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Approvals;

/// <summary>What a decision did: the approval and its action as they stand after, or a refusal with a stable code.</summary>
public sealed record ApprovalDecisionResult(StoredApproval? Approval, ActionAnswer? Action, ApprovalRefusal? Refusal)
{
    /// <summary>For a refusal of edited parameters (<c>invalid_parameters</c>): every schema problem, with its code.</summary>
    public JsonArray? Problems { get; init; }

    /// <summary>True when the decision was taken.</summary>
    public bool Succeeded => Refusal is null;
}

/// <summary>
/// Approvals as people meet them: listed with filters, decided once by an eligible person who did not ask for the call,
/// bound to the call digest they were shown. A decision, the approval's new state and the action's are written in one
/// transaction with the <c>approval.decided</c> event; two people deciding at once cannot both win. An approved
/// action then runs exactly once (<see cref="ActionExecutor"/>).
/// </summary>
public sealed partial class ApprovalService
{
    /// <summary>The code of a refusal for an approval that does not exist (or that the person may not see).</summary>
    public const string NotFound = "approval_not_found";

    private readonly IActionStore _store;
    private readonly ILedger _ledger;
    private readonly ActionExecutor _executor;
    private readonly TimeProvider _time;
    private readonly Func<string, bool> _isHalted;
    private readonly ApprovalEditing? _editing;
    private readonly IPeopleDirectory _people;

    /// <summary>
    /// Approvals over <paramref name="store"/>; a decider's groups are read from <paramref name="people"/> at each decision;
    /// with <paramref name="editing"/>, approve-with-edits proposes the edited call.
    /// </summary>
    public ApprovalService(IActionStore store, ILedger ledger, ActionExecutor executor, TimeProvider time, Func<string, bool> isHalted, IPeopleDirectory people, ApprovalEditing? editing = null)
    {
        _editing = editing;
        _store = store;
        _ledger = ledger;
        _executor = executor;
        _time = time;
        _isHalted = isHalted;
        _people = people;
    }

    /// <summary>Approvals matching <paramref name="query"/>; those past their expiry are closed first (failing closed).</summary>
    public async Task<IReadOnlyList<StoredApproval>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken)
    {
        await ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        return await _store.ListApprovalsAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes every pending approval past its expiry: the approval expires, its action is rejected, both recorded.</summary>
    public async Task ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var stored in await _store.ListApprovalsAsync(new ApprovalQuery { Status = ApprovalStatuses.Pending, Limit = 500 }, cancellationToken).ConfigureAwait(false))
        {
            if (stored.ExpiresAt <= now)
            {
                try
                {
                    await CloseAsync(stored, stored with { Status = ApprovalStatuses.Expired, ClosedAt = stored.ExpiresAt, Revision = stored.Revision + 1 },
                        ActionStatuses.Rejected, LedgerActor.System("approvals"), "expired", null, cancellationToken).ConfigureAwait(false);
                }
                catch (StoreConflictException)
                {
                    // Decided or expired on another node meanwhile.
                }
            }
        }
    }

    /// <summary>
    /// A person decides an approval they were shown with <paramref name="callDigest"/>. Eligibility by group is checked
    /// against the groups the person is in now (<see cref="IPeopleDirectory"/>), whatever <paramref name="by"/> carries:
    /// someone removed from a group cannot decide from then on, even in a session that began before.
    /// </summary>
    public async Task<ApprovalDecisionResult> DecideAsync(string approvalId, Approver by, ApprovalVerdict verdict, string callDigest, string? comment,
        JsonObject? editedParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(by);
        by = new Approver(by.UserName, await _people.GroupsOfAsync(by.UserName, cancellationToken).ConfigureAwait(false));
        var stored = await _store.GetApprovalAsync(approvalId, cancellationToken).ConfigureAwait(false);
        var action = stored is null ? null : await _store.GetActionAsync(stored.ActionId, cancellationToken).ConfigureAwait(false);
        if (stored is null || action is null)
        {
            return new(null, null, new ApprovalRefusal(NotFound, $"No approval {approvalId}."));
        }

        if (verdict == ApprovalVerdict.ApproveWithEdits)
        {
            return await DecideWithEditsAsync(stored, action, by, callDigest, comment, editedParameters, cancellationToken).ConfigureAwait(false);
        }

        var now = _time.GetUtcNow();
        var result = ApprovalRules.Decide(ToCore(stored, action), new ApprovalDecision
        {
            Verdict = verdict,
            By = by,
            CallDigest = callDigest ?? "",
            Comment = comment,
            EditedParameters = editedParameters,
        }, now, _isHalted(stored.WorkflowId));
        if (!result.Succeeded)
        {
            if (result.Refusal!.Code == ApprovalErrorCodes.Expired && stored.Status == ApprovalStatuses.Pending)
            {
                await ExpireDueAsync(cancellationToken).ConfigureAwait(false);
            }

            await RecordRefusalAsync(stored, by, result.Refusal, cancellationToken).ConfigureAwait(false);
            return new(await _store.GetApprovalAsync(approvalId, cancellationToken).ConfigureAwait(false), ActionAnswers.Of(action), result.Refusal);
        }

        var decided = result.Approval;
        var next = stored with
        {
            Status = Status(decided.Status),
            Votes = VotesJson(decided.Votes),
            ClosedAt = decided.ClosedAt,
            Revision = stored.Revision + 1,
        };
        var actionStatus = decided.Status switch
        {
            ApprovalStatus.Approved => ActionStatuses.Approved,
            ApprovalStatus.Pending => null,
            _ => ActionStatuses.Rejected,
        };
        try
        {
            await CloseAsync(stored, next, actionStatus, LedgerActor.Human(by.UserName), next.Status, comment, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConflictException)
        {
            // Another person's decision landed first: this one changes nothing and says so.
            var refusal = new ApprovalRefusal(ApprovalErrorCodes.AlreadyDecided, $"approval {approvalId} was decided by someone else a moment ago; reload it");
            await RecordRefusalAsync(stored, by, refusal, cancellationToken).ConfigureAwait(false);
            return new(await _store.GetApprovalAsync(approvalId, cancellationToken).ConfigureAwait(false),
                ActionAnswers.Of((await _store.GetActionAsync(action.Id, cancellationToken).ConfigureAwait(false))!), refusal);
        }

        var after = actionStatus == ActionStatuses.Approved
            ? await _executor.ExecuteAsync(action.Id, cancellationToken).ConfigureAwait(false)
            : await _store.GetActionAsync(action.Id, cancellationToken).ConfigureAwait(false);
        return new(await _store.GetApprovalAsync(approvalId, cancellationToken).ConfigureAwait(false), ActionAnswers.Of(after!), null);
    }

    private async Task CloseAsync(StoredApproval before, StoredApproval after, string? actionStatus, LedgerActor by, string outcome, string? comment, CancellationToken cancellationToken,
        string? actionDetail = null, JsonObject? edits = null)
    {
        var now = _time.GetUtcNow();
        List<RecordedRow> rows = [new ApprovalUpdateRow(after, before.Revision)];
        if (actionStatus is not null)
        {
            rows.Add(new ActionTransitionRow(before.ActionId, ActionStatuses.PendingApproval, actionStatus, actionDetail, now));
            if (actionStatus == ActionStatuses.Rejected)
            {
                // Rejected, expired or replaced by an edited call: the budget share reserved at proposal is given back.
                rows.Add(new BudgetReleaseRow(before.ActionId));
            }
        }

        await _ledger.AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.ApprovalDecided,
            Actors = [by],
            WorkflowId = before.WorkflowId,
            CaseId = before.CaseId,
            Resource = new LedgerResource("approval", before.Id),
            Outcome = outcome,
            InputHashes = new Dictionary<string, string> { ["call"] = before.CallDigest },
            Content = new JsonObject
            {
                ["action_id"] = before.ActionId,
                ["status"] = after.Status,
                ["votes"] = JsonNode.Parse(after.Votes)!.AsArray().Count,
                ["required"] = before.RequiredApprovers,
                ["comment"] = comment,
            },
        }.WithEdits(edits)], rows, cancellationToken).ConfigureAwait(false);
    }

    private Task RecordRefusalAsync(StoredApproval stored, Approver by, ApprovalRefusal refusal, CancellationToken cancellationToken) =>
        _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.ApprovalDecided,
            Actors = [LedgerActor.Human(by.UserName)],
            WorkflowId = stored.WorkflowId,
            CaseId = stored.CaseId,
            Resource = new LedgerResource("approval", stored.Id),
            Outcome = "refused",
            Content = new JsonObject { ["code"] = refusal.Code, ["reason"] = refusal.Message },
        }, cancellationToken);

    /// <summary>The stored approval as the approval rules see it.</summary>
    private static Approval ToCore(StoredApproval stored, StoredAction action) => new()
    {
        Id = stored.Id,
        Call = new ActionCall
        {
            WorkflowId = action.WorkflowId,
            Action = action.Action,
            Parameters = JsonNode.Parse(action.Parameters)!.AsObject(),
            CaseId = action.CaseId,
            AgentClientId = action.Requester,
            AgentKeyThumbprint = action.RequesterKey,
            PolicyHash = "",
            ManifestVersion = action.ManifestVersion,
        },
        CallDigest = stored.CallDigest,
        Eligible = [.. JsonSerializer.Deserialize<string[]>(stored.Eligible)!.Select(e => Principal.TryParse(e, out var p) ? p : null).OfType<Principal>()],
        RequiredApprovers = stored.RequiredApprovers,
        Requesters = JsonSerializer.Deserialize<string[]>(stored.Requesters)!,
        CreatedAt = stored.CreatedAt,
        ExpiresAt = stored.ExpiresAt,
        Status = stored.Status switch
        {
            ApprovalStatuses.Pending => ApprovalStatus.Pending,
            ApprovalStatuses.Approved => ApprovalStatus.Approved,
            ApprovalStatuses.ApprovedWithEdits => ApprovalStatus.ApprovedWithEdits,
            ApprovalStatuses.Expired => ApprovalStatus.Expired,
            _ => ApprovalStatus.Rejected,
        },
        Votes = [.. JsonNode.Parse(stored.Votes)!.AsArray().Select(v => new ApprovalVote(
            (string)v!["user"]!, Enum.Parse<ApprovalVerdict>((string)v["verdict"]!), DateTimeOffset.Parse((string)v["at"]!, System.Globalization.CultureInfo.InvariantCulture), (string?)v["comment"]))],
        ClosedAt = stored.ClosedAt,
    };

    private static string VotesJson(IEnumerable<ApprovalVote> votes) => new JsonArray([.. votes.Select(v => (JsonNode)new JsonObject
    {
        ["user"] = v.UserName,
        ["verdict"] = v.Verdict.ToString(),
        ["at"] = v.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["comment"] = v.Comment,
    })]).ToJsonString();

    private static string Status(ApprovalStatus status) => status switch
    {
        ApprovalStatus.Pending => ApprovalStatuses.Pending,
        ApprovalStatus.Approved => ApprovalStatuses.Approved,
        ApprovalStatus.ApprovedWithEdits => ApprovalStatuses.ApprovedWithEdits,
        ApprovalStatus.Expired => ApprovalStatuses.Expired,
        _ => ApprovalStatuses.Rejected,
    };
}
