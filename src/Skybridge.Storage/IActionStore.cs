namespace Skybridge.Storage;

/// <summary>
/// Governed actions and their approvals. Rows that change what happened (a proposal, an approval, a decision, an
/// execution's start and result) are written with their ledger events (<see cref="RecordedRow"/> kinds below), so the
/// store and the ledger never disagree; a compare-and-set that finds another state fails the whole transaction with
/// <see cref="StoreConflictException"/>.
/// </summary>
public interface IActionStore
{
    /// <summary>One action, or null.</summary>
    Task<StoredAction?> GetActionAsync(string actionId, CancellationToken cancellationToken = default);

    /// <summary>The action a requester proposed under this idempotency key, or null (a retry finds the first answer).</summary>
    Task<StoredAction?> FindActionAsync(string requester, string idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>The actions of a case, oldest first.</summary>
    Task<IReadOnlyList<StoredAction>> ListCaseActionsAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>The actions of several cases (a page of a case list) in one read, oldest first.</summary>
    Task<IReadOnlyList<StoredAction>> ListActionsOfCasesAsync(IReadOnlyCollection<string> caseIds, CancellationToken cancellationToken = default);

    /// <summary>Actions in <paramref name="status"/> (oldest first, at most <paramref name="limit"/>): the outbox reads <c>approved</c> and <c>executing</c>.</summary>
    Task<IReadOnlyList<StoredAction>> ListActionsByStatusAsync(string status, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Actions in <paramref name="status"/> last changed before <paramref name="updatedBefore"/>, oldest first, at most
    /// <paramref name="limit"/>: what the outbox must take over (left by a request, or by a node that died), read without
    /// the ones still in the hands of a live request.
    /// </summary>
    Task<IReadOnlyList<StoredAction>> ListActionsByStatusAsync(string status, DateTimeOffset updatedBefore, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves an action from <paramref name="from"/> to <paramref name="to"/> if it is still in <paramref name="from"/>
    /// (the claim an executor takes before it calls a system: only one node wins it). False when another got there first.
    /// </summary>
    Task<bool> TransitionActionAsync(string actionId, string from, string to, string? detail, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>One approval, or null.</summary>
    Task<StoredApproval?> GetApprovalAsync(string approvalId, CancellationToken cancellationToken = default);

    /// <summary>Approvals matching <paramref name="query"/>, oldest first.</summary>
    Task<IReadOnlyList<StoredApproval>> ListApprovalsAsync(ApprovalQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Action statuses as stored.</summary>
public static class ActionStatuses
{
    /// <summary>Recorded for the person doing the work (L0-draft): nothing executes.</summary>
    public const string Recorded = "recorded";

    /// <summary>Refused by schema, policy, the ladder, a budget or a halt.</summary>
    public const string Denied = "denied";

    /// <summary>Waiting for people to decide its approval.</summary>
    public const string PendingApproval = "pending_approval";

    /// <summary>Allowed (by policy, or approved): queued for execution; the outbox.</summary>
    public const string Approved = "approved";

    /// <summary>Claimed by one node that is calling the system of record.</summary>
    public const string Executing = "executing";

    /// <summary>The system of record did it; the result is stored.</summary>
    public const string Executed = "executed";

    /// <summary>The system refused or failed and did not do it.</summary>
    public const string Failed = "failed";

    /// <summary>Its approval was rejected, or expired (fails closed).</summary>
    public const string Rejected = "rejected";

    /// <summary>Queued while the workflow is halted: held, never dropped; re-checked against the current policy on resume.</summary>
    public const string Held = "held";
}

/// <summary>Approval statuses as stored.</summary>
public static class ApprovalStatuses
{
    /// <summary>Waiting for its approvers.</summary>
    public const string Pending = "pending";

    /// <summary>Approved by enough distinct eligible people.</summary>
    public const string Approved = "approved";

    /// <summary>Approved with edited parameters: a new action is proposed and decided again.</summary>
    public const string ApprovedWithEdits = "approved_with_edits";

    /// <summary>Rejected by an eligible person.</summary>
    public const string Rejected = "rejected";

    /// <summary>Nobody decided in time: fails closed.</summary>
    public const string Expired = "expired";
}

/// <summary>A governed action as proposed, decided and executed.</summary>
public sealed record StoredAction
{
    public required string Id { get; init; }
    public required string WorkflowId { get; init; }
    public required int ManifestVersion { get; init; }
    public required string CaseId { get; init; }
    public required string Action { get; init; }
    /// <summary>The parameters as proposed (canonical JSON).</summary>
    public required string Parameters { get; init; }
    /// <summary>The digest of the exact call (action, parameters, case, agent and its key, policy, manifest version).</summary>
    public required string CallDigest { get; init; }
    /// <summary>The proposing agent's client id.</summary>
    public required string Requester { get; init; }
    /// <summary>The thumbprint of the key the requester's token was bound to.</summary>
    public required string RequesterKey { get; init; }
    public required string IdempotencyKey { get; init; }
    public required string Status { get; init; }
    /// <summary>JSON: the policy explanation, the refusal, or the system's answer, by status.</summary>
    public string? Detail { get; init; }
    public string? ApprovalId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An approval request bound to one action's call digest.</summary>
public sealed record StoredApproval
{
    public required string Id { get; init; }
    public required string ActionId { get; init; }
    public required string WorkflowId { get; init; }
    public required string CaseId { get; init; }
    public required string Action { get; init; }
    public required string CallDigest { get; init; }
    public required string Status { get; init; }
    public required int RequiredApprovers { get; init; }
    /// <summary>JSON array of the subjects who may decide (<c>user:NAME</c>, <c>group:NAME</c>).</summary>
    public required string Eligible { get; init; }
    /// <summary>JSON array of the people and agents behind the request (they may not decide it).</summary>
    public required string Requesters { get; init; }
    /// <summary>JSON array of votes so far (who, verdict, when, comment).</summary>
    public string Votes { get; init; } = "[]";
    /// <summary>Increases with every change: the compare-and-set a decision needs.</summary>
    public required int Revision { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
}

/// <summary>Which approvals to list; null members do not filter.</summary>
public sealed record ApprovalQuery
{
    public string? WorkflowId { get; init; }
    public string? Status { get; init; }
    public string? Action { get; init; }
    /// <summary>Only approvals created before this moment (older than an age).</summary>
    public DateTimeOffset? CreatedBefore { get; init; }
    public int Limit { get; init; } = 200;
}

/// <summary>A new action, written with its <c>action.proposed</c> event.</summary>
public sealed record ActionRecordedRow(StoredAction Action) : RecordedRow;

/// <summary>A new approval, written with its <c>approval.requested</c> event.</summary>
public sealed record ApprovalRecordedRow(StoredApproval Approval) : RecordedRow;

/// <summary>
/// An approval's new state, written only if its revision is still <paramref name="ExpectedRevision"/> (two approvers
/// deciding at once: one wins, the other's transaction fails with <see cref="StoreConflictException"/>).
/// </summary>
public sealed record ApprovalUpdateRow(StoredApproval Approval, int ExpectedRevision) : RecordedRow;

/// <summary>
/// A held action decided again after a resume: its new status, explanation, call digest (the current policy and
/// version), manifest version and approval, written only if it is still in <paramref name="From"/>.
/// </summary>
public sealed record ActionRecheckRow(StoredAction Action, string From) : RecordedRow;

/// <summary>An action's move from one status to another, written only if it is still in <paramref name="From"/>.</summary>
public sealed record ActionTransitionRow(string ActionId, string From, string To, string? Detail, DateTimeOffset At) : RecordedRow;

/// <summary>A compare-and-set found another state: someone else changed it first. Nothing of the transaction was written.</summary>
public sealed class StoreConflictException : Exception
{
    public StoreConflictException(string message) : base(message) { }
}
