using System.Text.Json.Nodes;
using Skybridge.Core.Ledger;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Approvals;

/// <summary>Where an approval stands.</summary>
public enum ApprovalStatus
{
    /// <summary>Waiting for eligible people (possibly with some approvals already given).</summary>
    Pending,

    /// <summary>Approved by enough distinct eligible people: the bound call may execute, once.</summary>
    Approved,

    /// <summary>Rejected: the call never executes.</summary>
    Rejected,

    /// <summary>Approved with edited parameters: the original call never executes; the edited one is a new call that policy decides again.</summary>
    ApprovedWithEdits,

    /// <summary>Nobody decided in time: fails closed, the call never executes.</summary>
    Expired,
}

/// <summary>What a person decides.</summary>
public enum ApprovalVerdict
{
    /// <summary>Approve the call as shown.</summary>
    Approve,

    /// <summary>Reject it.</summary>
    Reject,

    /// <summary>Approve different parameters: a new call.</summary>
    ApproveWithEdits,
}

/// <summary>The person deciding, as the store knows them at the moment of deciding.</summary>
/// <param name="UserName">The person's user name (<c>user:NAME</c> without the prefix).</param>
/// <param name="Groups">The groups they belong to now.</param>
public sealed record Approver(string UserName, IReadOnlyCollection<string> Groups);

/// <summary>One person's recorded decision.</summary>
/// <param name="UserName">Who.</param>
/// <param name="Verdict">What.</param>
/// <param name="At">When.</param>
/// <param name="Comment">Why, in their words, or null.</param>
public sealed record ApprovalVote(string UserName, ApprovalVerdict Verdict, DateTimeOffset At, string? Comment);

/// <summary>A decision submitted by a person.</summary>
public sealed record ApprovalDecision
{
    /// <summary>Approve, reject, or approve with edits.</summary>
    public required ApprovalVerdict Verdict { get; init; }

    /// <summary>Who decides.</summary>
    public required Approver By { get; init; }

    /// <summary>The digest of the call the person was shown; a different one means they saw another call.</summary>
    public required string CallDigest { get; init; }

    /// <summary>A comment, or null.</summary>
    public string? Comment { get; init; }

    /// <summary>For <see cref="ApprovalVerdict.ApproveWithEdits"/>: the parameters to run instead.</summary>
    public JsonObject? EditedParameters { get; init; }
}

/// <summary>
/// A durable request for approval of one exact call. Immutable: every transition of <see cref="ApprovalRules"/>
/// returns a new value for the store to write (with a check that the old one is still current).
/// </summary>
public sealed record Approval
{
    /// <summary>The approval's id.</summary>
    public required string Id { get; init; }

    /// <summary>The call awaiting approval, exactly as it will execute.</summary>
    public required ActionCall Call { get; init; }

    /// <summary><see cref="Approvals.CallDigest.Compute(ActionCall)"/> of <see cref="Call"/>, fixed when the approval was opened.</summary>
    public required string CallDigest { get; init; }

    /// <summary>Who may decide: the manifest's <c>authorities.approve</c> for the action.</summary>
    public required IReadOnlyList<Principal> Eligible { get; init; }

    /// <summary>How many distinct people must approve.</summary>
    public required int RequiredApprovers { get; init; }

    /// <summary>People who asked for the call (the persons in its actor chain); none of them may decide it.</summary>
    public IReadOnlyList<string> Requesters { get; init; } = [];

    /// <summary>When it was opened.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires (and fails closed) if still pending.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Where it stands.</summary>
    public ApprovalStatus Status { get; init; }

    /// <summary>Decisions recorded so far, in order.</summary>
    public IReadOnlyList<ApprovalVote> Votes { get; init; } = [];

    /// <summary>When it left <see cref="ApprovalStatus.Pending"/>, or null.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>For <see cref="ApprovalStatus.ApprovedWithEdits"/>: the new call to decide again, or null.</summary>
    public ActionCall? EditedCall { get; init; }

    /// <summary>True once decided or expired: it never changes again.</summary>
    public bool IsClosed => Status != ApprovalStatus.Pending;
}

/// <summary>A stable code and a message for a refused approval step.</summary>
/// <param name="Code">One of <see cref="ApprovalErrorCodes"/>.</param>
/// <param name="Message">What happened, in the decider's terms.</param>
public sealed record ApprovalRefusal(string Code, string Message);

/// <summary>The result of an approval step: the approval as it now stands, and a refusal when the step was refused.</summary>
/// <param name="Approval">The approval after the step (a refused step may still expire it: store it when it changed).</param>
/// <param name="Refusal">Why the step was refused, or null when it was taken.</param>
public sealed record ApprovalResult(Approval Approval, ApprovalRefusal? Refusal)
{
    /// <summary>True when the step was taken.</summary>
    public bool Succeeded => Refusal is null;
}

/// <summary>Stable codes of refused approval steps (API error codes and ledger entries use them).</summary>
public static class ApprovalErrorCodes
{
    /// <summary>The approval expired before it was decided; the call never runs.</summary>
    public const string Expired = "approval_expired";

    /// <summary>The approval was already decided; a decision is taken once.</summary>
    public const string AlreadyDecided = "approval_already_decided";

    /// <summary>The workflow is halted: pending approvals are frozen until it resumes.</summary>
    public const string Frozen = "approval_frozen";

    /// <summary>The person is not in the action's approve authority.</summary>
    public const string NotEligible = "approver_not_eligible";

    /// <summary>The person asked for the call themselves.</summary>
    public const string SelfApproval = "self_approval";

    /// <summary>The person already approved; the rule asks for distinct people.</summary>
    public const string AlreadyVoted = "approver_already_voted";

    /// <summary>The decision names another call than the one awaiting approval.</summary>
    public const string DigestMismatch = "call_digest_mismatch";

    /// <summary>Approve-with-edits without parameters, or with the same parameters.</summary>
    public const string InvalidEdits = "invalid_edits";
}

/// <summary>
/// The approval state machine as pure functions of the approval, the decision and <c>now</c>:
/// pending → approved | rejected | approved-with-edits | expired; decided once; expiry fails closed; frozen while the
/// workflow is halted; only eligible people who did not ask for the call, and distinct people where a rule asks for
/// several.
/// </summary>
public static class ApprovalRules
{
    /// <summary>Opens an approval for a call.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="call">The call, exactly as it will execute.</param>
    /// <param name="eligible">The action's approve authority.</param>
    /// <param name="requiredApprovers">Distinct approvals needed (at least 1).</param>
    /// <param name="requesters">The persons in the call's actor chain (user names).</param>
    /// <param name="now">The current time.</param>
    /// <param name="lifetime">How long it stays open before it expires.</param>
    public static Approval Open(string id, ActionCall call, IReadOnlyList<Principal> eligible, int requiredApprovers, IReadOnlyList<string> requesters, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        return new Approval
        {
            Id = id,
            Call = call,
            CallDigest = Approvals.CallDigest.Compute(call),
            Eligible = eligible,
            RequiredApprovers = Math.Max(1, requiredApprovers),
            Requesters = requesters,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
    }

    /// <summary>True when the person belongs to the approve authority (by user name or group).</summary>
    public static bool IsEligible(Approval approval, Approver approver)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(approver);
        return approval.Eligible.Any(p => p.Kind == PrincipalKind.User ? p.Name == approver.UserName : approver.Groups.Contains(p.Name));
    }

    /// <summary>Expires a pending approval whose time is up; otherwise returns it unchanged.</summary>
    public static Approval ExpireIfDue(Approval approval, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return approval.Status == ApprovalStatus.Pending && now >= approval.ExpiresAt
            ? approval with { Status = ApprovalStatus.Expired, ClosedAt = approval.ExpiresAt }
            : approval;
    }

    /// <summary>Applies one person's decision. Every refusal is a result with a stable code; nothing throws.</summary>
    /// <param name="approval">The approval as stored.</param>
    /// <param name="decision">The person's decision.</param>
    /// <param name="now">The current time.</param>
    /// <param name="halted">True while the workflow is halted.</param>
    public static ApprovalResult Decide(Approval approval, ApprovalDecision decision, DateTimeOffset now, bool halted)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(decision);
        var current = ExpireIfDue(approval, now);
        if (current.Status == ApprovalStatus.Expired)
        {
            return Refuse(current, ApprovalErrorCodes.Expired, $"approval {current.Id} expired at {current.ExpiresAt:O} without a decision; the call will not run");
        }

        if (current.IsClosed)
        {
            return Refuse(current, ApprovalErrorCodes.AlreadyDecided, $"approval {current.Id} was already decided ({Status(current.Status)}); a decision is taken once");
        }

        if (halted)
        {
            return Refuse(current, ApprovalErrorCodes.Frozen, $"the workflow is halted; approval {current.Id} is frozen until it resumes");
        }

        if (!Approvals.CallDigest.AreEqual(decision.CallDigest, current.CallDigest))
        {
            return Refuse(current, ApprovalErrorCodes.DigestMismatch, $"the decision is for another call than the one approval {current.Id} is bound to; reload it and decide what is shown");
        }

        var by = decision.By;
        if (current.Requesters.Contains(by.UserName, StringComparer.Ordinal))
        {
            return Refuse(current, ApprovalErrorCodes.SelfApproval, $"user:{by.UserName} asked for this call and cannot decide it; another eligible person must");
        }

        if (!IsEligible(current, by))
        {
            return Refuse(current, ApprovalErrorCodes.NotEligible, $"user:{by.UserName} may not decide '{current.Call.Action}'; eligible: {string.Join(", ", current.Eligible)}");
        }

        if (current.Votes.Any(v => v.UserName == by.UserName))
        {
            return Refuse(current, ApprovalErrorCodes.AlreadyVoted, $"user:{by.UserName} already approved; this call needs {current.RequiredApprovers} distinct people");
        }

        var vote = new ApprovalVote(by.UserName, decision.Verdict, now, decision.Comment);
        var votes = current.Votes.Append(vote).ToList();
        switch (decision.Verdict)
        {
            case ApprovalVerdict.Reject:
                return Taken(current with { Status = ApprovalStatus.Rejected, Votes = votes, ClosedAt = now });
            case ApprovalVerdict.ApproveWithEdits:
                if (decision.EditedParameters is null
                    || CanonicalJson.ToCanonicalString(decision.EditedParameters) == CanonicalJson.ToCanonicalString(current.Call.Parameters))
                {
                    return Refuse(current, ApprovalErrorCodes.InvalidEdits, "approve-with-edits needs parameters that differ from the call's; to run the call as shown, approve it");
                }

                return Taken(current with
                {
                    Status = ApprovalStatus.ApprovedWithEdits,
                    Votes = votes,
                    ClosedAt = now,
                    EditedCall = current.Call.WithParameters((JsonObject)decision.EditedParameters.DeepClone()),
                });
            default:
                var approvals = votes.Count(v => v.Verdict == ApprovalVerdict.Approve);
                return Taken(approvals >= current.RequiredApprovers
                    ? current with { Status = ApprovalStatus.Approved, Votes = votes, ClosedAt = now }
                    : current with { Votes = votes });
        }
    }

    private static string Status(ApprovalStatus status) => status switch
    {
        ApprovalStatus.Approved => "approved",
        ApprovalStatus.Rejected => "rejected",
        ApprovalStatus.ApprovedWithEdits => "approved with edits",
        ApprovalStatus.Expired => "expired",
        _ => "pending",
    };

    private static ApprovalResult Taken(Approval approval) => new(approval, null);

    private static ApprovalResult Refuse(Approval approval, string code, string message) => new(approval, new ApprovalRefusal(code, message));
}
