using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Manifests;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Actions;

/// <summary>
/// First: the idempotency key. A proposal whose key this agent used before gets the first answer (the same call) or a
/// refusal (another call under the same key), and nothing new is written. The key is unique per agent in the store, so
/// the check is optimistic: a new key (nearly every proposal) costs no read; a retry is decided again and its record
/// conflicts with the first one's, which rolls back everything the retry would have written (its events, an approval,
/// a budget spend) and answers with the first answer (<see cref="ActionPipeline.ProposeAsync"/>). Nothing a retry
/// decides can run: the record comes before the connector.
/// </summary>
public sealed class IdempotencyStep : ActionStep
{
    /// <inheritdoc />
    public override Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return NextAsync(context, cancellationToken);
    }

    /// <summary>The first answer under the proposal's key, or null when the key is new.</summary>
    internal static async Task<ActionResult?> ReplayAsync(IActionStore store, ActionContext context, CancellationToken cancellationToken)
    {
        var first = await store.FindActionAsync(context.Proposal.Requester, context.Proposal.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (first is null)
        {
            return null;
        }

        // Same action and parameters: the same call, so the same answer. Anything else under the key is a mistake.
        var same = first.Action == context.Proposal.Action && first.CaseId == context.Proposal.CaseId
            && first.Parameters == CanonicalJson.ToCanonicalString(context.Proposal.Parameters);
        return same
            ? ActionResult.Of(ActionAnswers.Of(first))
            : ActionResult.Refused(ActionCodes.IdempotencyKeyReused, $"The idempotency key was used for another call ({first.Id}); use a new key for a new call.");
    }
}

/// <summary>
/// The active version, read once, and the action's schema: an unknown action or parameters that do not fit are
/// refused before policy sees them, with every problem listed, and recorded.
/// </summary>
public sealed class SchemaStep(IActiveManifests manifests, PolicyCache policies) : ActionStep
{
    /// <inheritdoc />
    public override async Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proposal = context.Proposal;
        if (await manifests.GetAsync(proposal.WorkflowId, cancellationToken).ConfigureAwait(false) is not { } active)
        {
            return ActionResult.Refused(ActionCodes.UnknownWorkflow, $"{proposal.WorkflowId} has no active version.");
        }

        context.Active = active;
        context.Policy = policies.For(active);
        context.Definition = active.Manifest.FindAction(proposal.Action);
        if (context.Definition is null)
        {
            var known = string.Join(", ", active.Manifest.Actions.Select(a => a.Name));
            context.Trail.Add(ActionEvents.Proposed(context, [new ParameterProblem(ActionCodes.UnknownAction, null, $"no action '{proposal.Action}'")]));
            return ActionResult.Refused(ActionCodes.UnknownAction, $"{proposal.WorkflowId} has no action '{proposal.Action}' (it has: {known}).");
        }

        var problems = ActionSchema.Validate(context.Definition, proposal.Parameters);
        if (problems.Count > 0)
        {
            context.Trail.Add(ActionEvents.Proposed(context, problems));
            return ActionResult.Refused(ActionCodes.InvalidParameters, $"The parameters of '{proposal.Action}' do not fit its schema: {problems.Count} problem(s).",
                new JsonArray([.. problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["parameter"] = p.Parameter, ["message"] = p.Message })]));
        }

        context.Parameters = (JsonObject)proposal.Parameters!.DeepClone();
        context.Call = new ActionCall
        {
            WorkflowId = proposal.WorkflowId,
            Action = proposal.Action,
            Parameters = context.Parameters,
            CaseId = proposal.CaseId,
            AgentClientId = proposal.Requester,
            AgentKeyThumbprint = proposal.RequesterKey,
            PolicyHash = context.Policy.Hash,
            ManifestVersion = active.Version,
        };
        context.CanonicalParameters = CanonicalJson.ToCanonicalString(context.Parameters);
        context.CallDigest = CallDigest.Compute(context.Call, context.CanonicalParameters);
        context.Trail.Add(ActionEvents.Proposed(context, []));
        return await NextAsync(context, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// Policy, then the autonomy ladder and the kill switch: the effective outcome (execute, await approval, record only,
/// deny). A denial is stored and recorded with its explanation; the rest goes on.
/// </summary>
public sealed class PolicyStep(Func<string, bool> isHalted, TimeSpan approvalLifetime) : ActionStep
{
    /// <inheritdoc />
    public override async Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = PolicyRequests.For(context);
        var decision = context.Policy!.Policy.Decide(request);
        var halted = isHalted(context.Proposal.WorkflowId);
        var outcome = EffectiveOutcome.Of(decision, context.Active!.Manifest.Autonomy.Level, halted, context.Definition!.Consequence);
        var explanation = decision.Explain(request);
        context.Trail.Add(ActionEvents.Decided(context, decision, outcome, explanation));

        var detail = ActionAnswers.Explanation(explanation, outcome);
        switch (outcome.Disposition)
        {
            case Disposition.Deny or Disposition.Halted:
                detail["code"] = outcome.Disposition == Disposition.Halted ? ActionCodes.Halted : ActionCodes.DeniedByPolicy;
                return ActionResult.Of(ActionAnswers.Of(Store(context, ActionStatuses.Denied, detail, null)));
            case Disposition.RecordProposal:
                return ActionResult.Of(ActionAnswers.Of(Store(context, ActionStatuses.Recorded, detail, null)));
            case Disposition.AwaitApproval:
                var approval = ApprovalRules.Open(context.NewApprovalId, context.Call!, decision.Authority, outcome.Approvers,
                    Requesters(context), context.Now, approvalLifetime);
                context.Rows.Add(new ApprovalRecordedRow(ActionAnswers.ToStored(approval, context.ActionId)));
                context.Trail.Add(ActionEvents.ApprovalRequested(context, approval));
                // On through budgets (a pending call reserves its share) and the record; nothing executes it yet.
                Store(context, ActionStatuses.PendingApproval, detail, approval.Id);
                return await NextAsync(context, cancellationToken).ConfigureAwait(false);
            default:
                Store(context, ActionStatuses.Approved, detail, null);
                return await NextAsync(context, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The people and agents behind the call: none of them may approve it.</summary>
    private static IReadOnlyList<string> Requesters(ActionContext context) =>
        [.. context.Proposal.Actors.Where(a => a.Kind == "human").Select(a => a.Id)];

    /// <summary>Adds the action's row; the steps that go on answer later, so no answer is built here.</summary>
    private static StoredAction Store(ActionContext context, string status, JsonObject detail, string? approvalId)
    {
        var p = context.Proposal;
        var stored = new StoredAction
        {
            Id = context.ActionId,
            WorkflowId = p.WorkflowId,
            ManifestVersion = context.Active!.Version,
            CaseId = p.CaseId,
            Action = p.Action,
            Parameters = context.CanonicalParameters ?? CanonicalJson.ToCanonicalString(context.Parameters),
            CallDigest = context.CallDigest,
            Requester = p.Requester,
            RequesterKey = p.RequesterKey,
            IdempotencyKey = p.IdempotencyKey,
            Status = status,
            Detail = detail.ToJsonString(),
            ApprovalId = approvalId,
            CreatedAt = context.Now,
            UpdatedAt = context.Now,
        };
        context.Detail = detail;
        context.DetailText = stored.Detail;
        context.Rows.Add(new ActionRecordedRow(stored));
        return stored;
    }
}

/// <summary>Writes what the steps before it decided (the action to execute and its events) before anything runs.</summary>
/// <remarks>
/// With <paramref name="nodeId"/>, an action allowed to run at once is written already claimed by this node
/// (<c>executing</c>), so the claim costs no transaction of its own; if the node dies before the result, the outbox's
/// stale-claim pass sends it again with the same idempotency key.
/// </remarks>
public sealed class RecordStep(Ledger.ILedger ledger, string? nodeId = null) : ActionStep
{
    /// <inheritdoc />
    public override async Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Rechecking)
        {
            // A held action decided again: the pipeline writes its new state in place of the old and the outbox runs it.
            var decided = context.Rows.OfType<ActionRecordedRow>().Last().Action;
            return ActionResult.Of(ActionAnswers.Of(decided));
        }

        var index = context.Rows.FindLastIndex(r => r is ActionRecordedRow);
        if (nodeId is not null && index >= 0 && context.Rows[index] is ActionRecordedRow { Action.Status: ActionStatuses.Approved } allowed)
        {
            var claim = context.DetailOf(allowed.Action.Detail) is { } detail
                ? ActionExecutor.ClaimDetail(detail, allowed.Action.Detail!, nodeId, context.Now)
                : ActionExecutor.ClaimDetail(allowed.Action.Detail, nodeId, context.Now);
            context.DetailText = claim;
            context.Claimed = allowed.Action with { Status = ActionStatuses.Executing, Detail = claim };
            context.Rows[index] = new ActionRecordedRow(context.Claimed);
        }

        await ActionPipeline.RecordAsync(ledger, context, cancellationToken).ConfigureAwait(false);
        return await NextAsync(context, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Last: runs an allowed action through its connector, exactly once (<see cref="ActionExecutor"/>).</summary>
/// <param name="executor">The node's executor.</param>
/// <param name="answerFirst">
/// Answer with the system's result once its write is queued on the ledger rather than on disk: the claim before the
/// call is the proposal's one durable write, and the result follows in order (see <see cref="ActionExecutor"/>).
/// </param>
public sealed class ExecuteStep(ActionExecutor executor, bool answerFirst = false) : ActionStep
{
    /// <inheritdoc />
    public override async Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Claimed is { } claimed)
        {
            // The detail object the claim was written from takes the result too, and answers: no text parsed again.
            var (ran, detail) = await executor.RunClaimedAsync(claimed, context.DetailOf(claimed.Detail), cancellationToken, answerFirst).ConfigureAwait(false);
            return ActionResult.Of(detail is null ? ActionAnswers.Of(ran) : ActionAnswers.Of(ran, detail));
        }

        var action = await executor.ExecuteAsync(context.ActionId, cancellationToken).ConfigureAwait(false);
        // Under load the outbox may have claimed it first: the caller waits a little for the answer, then gets the
        // current state to poll (GET /api/actions/ID?wait=).
        for (var i = 0; i < 100 && action!.Status == ActionStatuses.Executing; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            action = await executor.GetAsync(context.ActionId, cancellationToken).ConfigureAwait(false);
        }

        return ActionResult.Of(ActionAnswers.Of(action!));
    }
}

/// <summary>Builds a policy request from a proposal: the caller, the action, its parameters as typed arguments, the case.</summary>
internal static class PolicyRequests
{
    public static PolicyRequest For(ActionContext context)
    {
        var parameters = new List<PolicyArgument>();
        foreach (var (name, value) in context.Parameters!)
        {
            if (value is null)
            {
                continue;
            }

            switch (value.GetValueKind())
            {
                case JsonValueKind.Number when ActionSchema.TryGetNumber(value, out var number):
                    parameters.Add(PolicyArgument.Of(name, number));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    parameters.Add(PolicyArgument.Of(name, value.GetValue<bool>()));
                    break;
                case JsonValueKind.String:
                    parameters.Add(PolicyArgument.Of(name, value.GetValue<string>()));
                    break;
            }
        }

        return new PolicyRequest
        {
            AgentRole = context.Proposal.RequesterRole,
            ActorChain = context.Proposal.Actors.Select(a => a.Id).ToArray(),
            Action = context.Proposal.Action,
            Resource = context.Proposal.CaseId,
            Parameters = parameters.ToArray(),
            TimeOfDay = context.Now.UtcDateTime.TimeOfDay,
        };
    }
}

/// <summary>How actions look from outside: answers, explanations, stored approvals.</summary>
internal static class ActionAnswers
{
    public static ActionAnswer Of(StoredAction action) =>
        new(action.Id, action.Status, action.Detail is null ? [] : JsonNode.Parse(action.Detail)!.AsObject(), action.ApprovalId, action.CallDigest);

    /// <summary>The answer of an action whose detail was just written from <paramref name="detail"/> (its parsed form).</summary>
    public static ActionAnswer Of(StoredAction action, JsonObject detail) =>
        new(action.Id, action.Status, detail, action.ApprovalId, action.CallDigest);

    public static JsonObject Explanation(PolicyExplanation explanation, EffectiveOutcome outcome) => new()
    {
        ["decision"] = Outcome(explanation.Outcome),
        ["disposition"] = LowerNames<Disposition>.Of(outcome.Disposition),
        ["summary"] = explanation.Summary,
        ["rules"] = new JsonArray([.. explanation.Rules.Select(r => (JsonNode)new JsonObject { ["id"] = r.Id, ["effect"] = LowerNames<PolicyEffect>.Of(r.Effect), ["text"] = r.Text })]),
        ["would_allow"] = new JsonArray([.. explanation.WouldAllow.Select(w => (JsonNode)w)]),
        ["authority"] = new JsonArray([.. explanation.Authority.Select(a => (JsonNode)a.ToString())]),
        ["approvers"] = outcome.Approvers,
    };

    public static string Outcome(PolicyOutcome outcome) => outcome switch
    {
        PolicyOutcome.Allow => "allow",
        PolicyOutcome.RequireApproval => "require_approval",
        _ => "deny",
    };

    public static StoredApproval ToStored(Approval approval, string actionId) => new()
    {
        Id = approval.Id,
        ActionId = actionId,
        WorkflowId = approval.Call.WorkflowId,
        CaseId = approval.Call.CaseId,
        Action = approval.Call.Action,
        CallDigest = approval.CallDigest,
        Status = ApprovalStatuses.Pending,
        RequiredApprovers = approval.RequiredApprovers,
        Eligible = new JsonArray([.. approval.Eligible.Select(e => (JsonNode)e.ToString())]).ToJsonString(),
        Requesters = new JsonArray([.. approval.Requesters.Select(r => (JsonNode)r)]).ToJsonString(),
        Revision = 1,
        CreatedAt = approval.CreatedAt,
        ExpiresAt = approval.ExpiresAt,
    };
}

/// <summary>The ledger events of the action path.</summary>
internal static class ActionEvents
{
    public static LedgerEntry Proposed(ActionContext context, IReadOnlyList<ParameterProblem> problems)
    {
        var p = context.Proposal;
        return new LedgerEntry
        {
            Type = LedgerEventTypes.ActionProposed,
            Actors = p.Actors,
            WorkflowId = p.WorkflowId,
            WorkflowVersion = context.Active?.Version,
            CaseId = p.CaseId,
            Resource = new LedgerResource("action", context.ActionId),
            Outcome = problems.Count == 0 ? "proposed" : "invalid",
            InputHashes = new Dictionary<string, string>
            {
                // The parameters as checked are a copy of the proposal's: the same canonical text.
                ["parameters"] = TextDigest.Sha256(context.CanonicalParameters ?? CanonicalJson.ToCanonicalString(p.Parameters)),
                ["idempotency_key"] = TextDigest.Sha256(p.IdempotencyKey),
            },
            Content = new JsonObject
            {
                ["action"] = p.Action,
                // The proposer's role when it proposed: what policy rules name, so a replay asks the same question.
                ["role"] = p.RequesterRole,
                ["call_digest"] = context.CallDigest.Length == 0 ? null : context.CallDigest,
                // What policy conditions can test, never free text: a reply's body stays out of the ledger.
                ["values"] = TestableValues(context),
                ["problems"] = problems.Count == 0 ? null : new JsonArray([.. problems.Select(x => (JsonNode)new JsonObject { ["code"] = x.Code, ["parameter"] = x.Parameter })]),
            },
        };
    }

    private static JsonObject? TestableValues(ActionContext context)
    {
        if (context.Parameters is null || context.Definition is null)
        {
            return null;
        }

        var values = new JsonObject();
        foreach (var parameter in context.Definition.Parameters)
        {
            var value = context.Parameters[parameter.Name];
            if (value is not null && IsRecorded(parameter))
            {
                values[parameter.Name] = value.DeepClone();
            }
        }

        return values;
    }

    /// <summary>True for a parameter whose value <c>action.proposed</c> records: numbers, booleans and constrained text, never free text.</summary>
    internal static bool IsRecorded(ActionParameter parameter) =>
        parameter.Type is ParameterType.Number or ParameterType.Integer or ParameterType.Boolean
        || (parameter.Type == ParameterType.String && (parameter.AllowedValues is { Count: > 0 } || parameter.Pattern is not null));

    public static LedgerEntry Decided(ActionContext context, PolicyDecision decision, EffectiveOutcome outcome, PolicyExplanation explanation) => new()
    {
        Type = LedgerEventTypes.PolicyDecided,
        Actors = context.Proposal.Actors,
        WorkflowId = context.Proposal.WorkflowId,
        WorkflowVersion = context.Active!.Version,
        CaseId = context.Proposal.CaseId,
        Resource = new LedgerResource("action", context.ActionId),
        Outcome = ActionAnswers.Outcome(decision.Outcome),
        Rules = decision.RuleIds,
        Content = new JsonObject
        {
            ["reason"] = decision.Reason.ToString(),
            ["disposition"] = LowerNames<Disposition>.Of(outcome.Disposition),
            ["ladder"] = outcome.Reason.ToString(),
            ["approvers"] = outcome.Approvers,
            ["call_digest"] = context.CallDigest,
            ["policy"] = context.Policy!.Hash,
            ["log_only"] = decision.LogOnlyWouldChange
                ? new JsonObject { ["would_decide"] = ActionAnswers.Outcome(decision.LogOnlyOutcome), ["rules"] = new JsonArray([.. decision.LogOnlyRuleIds.Select(r => (JsonNode)r)]) }
                : null,
            ["summary"] = explanation.Summary,
        },
    };

    public static LedgerEntry ApprovalRequested(ActionContext context, Approval approval) => new()
    {
        Type = LedgerEventTypes.ApprovalRequested,
        Actors = context.Proposal.Actors,
        WorkflowId = context.Proposal.WorkflowId,
        WorkflowVersion = context.Active!.Version,
        CaseId = context.Proposal.CaseId,
        Resource = new LedgerResource("approval", approval.Id),
        Outcome = "pending",
        Content = new JsonObject
        {
            ["action_id"] = context.ActionId,
            ["call_digest"] = approval.CallDigest,
            ["eligible"] = new JsonArray([.. approval.Eligible.Select(e => (JsonNode)e.ToString())]),
            ["approvers"] = approval.RequiredApprovers,
            ["expires"] = LedgerEventFormat.FormatTime(approval.ExpiresAt),
        },
    };
}

/// <summary>An enum's names in lower case, made once (every decision writes some into its detail and its event).</summary>
internal static class LowerNames<T>
    where T : struct, Enum
{
    private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().Distinct().ToDictionary(v => v, v => v.ToString().ToLowerInvariant());

    public static string Of(T value) => Names.TryGetValue(value, out var name) ? name : value.ToString().ToLowerInvariant();
}
