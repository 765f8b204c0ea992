using System.Collections.Frozen;

namespace Skybridge.Core.Ledger.Events;

/// <summary>
/// Every ledger event type, in one place: code that records an event names its type from here, and docs/ledger.md
/// lists the same set (a test compares the two). A type is part of the ledger's format: once written it stays
/// spelled as it is, or older events would no longer match what readers look for.
/// </summary>
public static class LedgerEventTypes
{
    // Configuration: manifests and workflows.

    /// <summary>A manifest version was published (or published again unchanged). Carries the workflow and version,
    /// the YAML's digest, the autonomy level, and the outcome <c>published</c> or <c>already_published</c>.</summary>
    public const string ManifestPublished = "manifest.published";

    /// <summary>A manifest failed validation and was not stored. Carries the file name, the YAML's digest and the
    /// error codes with line and column (outcome <c>invalid</c>).</summary>
    public const string ManifestPublishRefused = "manifest.publish_refused";

    /// <summary>A workflow's active version changed by activation. Carries the previous and new version.</summary>
    public const string WorkflowActivated = "workflow.activated";

    /// <summary>The evaluation gate refused to activate a version (no clearing run, no valid override); nothing changed.</summary>
    public const string WorkflowActivationRefused = "workflow.activation_refused";

    /// <summary>A workflow went back to the version active before (rollback). Carries the previous and new version.</summary>
    public const string WorkflowRolledBack = "workflow.rolled_back";

    /// <summary>A workflow was halted (kill switch): its agents' tokens stop working. Carries who and the reason.</summary>
    public const string WorkflowHalted = "workflow.halted";

    /// <summary>A halted workflow was resumed. Carries who and the reason.</summary>
    public const string WorkflowResumed = "workflow.resumed";

    // People: accounts, roles, sign-in.

    /// <summary>An account was created, by an administrator or at a first single sign-on. Carries the user name and
    /// who created it (for single sign-on, <c>oidc:ISSUER</c>).</summary>
    public const string AccountCreated = "account.created";

    /// <summary>A role was granted on a workflow (or on every workflow). Carries the role, the scope and who granted it
    /// (<c>oidc-group-mapping</c> when the sign-in's group mapping did).</summary>
    public const string RoleGranted = "role.granted";

    /// <summary>A role was revoked. Carries the role, the scope and who revoked it.</summary>
    public const string RoleRevoked = "role.revoked";

    /// <summary>A person was added to a group (outcome <c>added</c>). Carries the group, the user, the source (<c>local</c>
    /// by hand, else the single sign-on authority whose groups claim listed it) and who added them.</summary>
    public const string GroupMemberAdded = "group.member_added";

    /// <summary>A person was removed from a group (outcome <c>removed</c>), by hand or because their identity provider
    /// no longer lists the group. Carries the group, the user, the source and who removed them.</summary>
    public const string GroupMemberRemoved = "group.member_removed";

    /// <summary>A person signed in. Outcome <c>signed_in</c> (password) or <c>signed_in_oidc</c> (single sign-on).</summary>
    public const string SignedIn = "auth.signed_in";

    /// <summary>A sign-in was refused. Outcome <c>wrong_credentials</c>, <c>locked</c> or <c>oidc_failed</c> (with the
    /// kind of failure only). An unknown user name is recorded as a digest prefix, never as typed.</summary>
    public const string SignInRefused = "auth.sign_in_refused";

    // Agents and tokens.

    /// <summary>An agent was registered on a workflow. Carries its client id, role and key id.</summary>
    public const string AgentRegistered = "agent.registered";

    /// <summary>An agent's public key was replaced. Carries the new key id.</summary>
    public const string AgentKeyRotated = "agent.key_rotated";

    /// <summary>A disabled agent was enabled again.</summary>
    public const string AgentEnabled = "agent.enabled";

    /// <summary>An agent was disabled: its tokens stop working.</summary>
    public const string AgentDisabled = "agent.disabled";

    /// <summary>The token endpoint issued an access token (client credentials or device code). Carries the token id,
    /// grant type, client, subject, scope, audiences, expiry and key thumbprint; never the token.</summary>
    public const string TokenIssued = "token.issued";

    /// <summary>A token exchange (RFC 8693) issued a delegated token. Carries what <see cref="TokenIssued"/> carries,
    /// plus the actor chain and the subject token's id.</summary>
    public const string TokenExchanged = "token.exchanged";

    /// <summary>The token endpoint refused a request. Carries the OAuth error code, the reason, the grant type and the
    /// key thumbprint when known.</summary>
    public const string TokenRefused = "token.refused";

    /// <summary>A source went over a request rate limit (the OAuth endpoints, sign-in). At most one per source, limit and
    /// window, so a flood cannot flood the ledger. Carries the limit and the source as a SHA-256 digest, never the address.</summary>
    public const string RequestRateLimited = "request.rate_limited";

    /// <summary>An agent API refused a token or its DPoP proof. Carries the endpoint, the OAuth error code, the reason
    /// and the token id when known.</summary>
    public const string TokenRejected = "token.rejected";

    /// <summary>A token was revoked (RFC 7009). Carries the token id, the client and the reason.</summary>
    public const string TokenRevoked = "token.revoked";

    /// <summary>A person approved a device sign-in (RFC 8628) in the console. Carries the client and the scope.</summary>
    public const string DeviceApproved = "device.approved";

    /// <summary>A person denied a device sign-in. Carries the client and the scope.</summary>
    public const string DeviceDenied = "device.denied";

    // Grounding and cases.

    /// <summary>A workflow's sources were read. Carries, per source, the documents added, unchanged and removed, and
    /// the files skipped with the reason.</summary>
    public const string SourcesIngested = "sources.ingested";

    /// <summary>A sentence of an ingested document addresses the assistant (a planted instruction): flagged to the
    /// source's owner with the document, version, span, kind and the span's digest; it is never quoted as an answer.</summary>
    public const string SourceInstructionFlagged = "source.instruction_flagged";

    /// <summary>A case's passages were retrieved (the first event of a case). Carries the case text's digest, the
    /// passages (source, document, version, span), their digest and the confidence. Written before types were
    /// dotted, and kept as it is so older ledgers replay alike.</summary>
    public const string Retrieval = "retrieval";

    /// <summary>An engine was called for a case. Carries the digests of the exact messages sent and of the reply, the
    /// engine, and the kinds of personal data redacted.</summary>
    public const string ModelCalled = "model.called";

    /// <summary>A case's draft was made. Carries the draft's digest, the outcome (<c>answered</c> or
    /// <c>abstained</c>), the reason, confidence, citation coverage, unsupported claims and the citations.</summary>
    public const string DraftCreated = "draft.created";

    /// <summary>An agent proposed an action for a case. Carries the action, the call digest, the digest of the
    /// parameters and the values policy conditions can test (numbers, booleans, short codes; never free text), the
    /// idempotency key's digest, and, when the parameters do not fit the schema, each problem with its code.</summary>
    public const string ActionProposed = "action.proposed";

    /// <summary>The built-in responder proposed nothing for a drafted case because a parameter's template needs a case
    /// attribute the case was submitted without. Outcome <c>responder_missing_attribute</c>; carries the action and the
    /// missing placeholders' names (never attribute values or the draft).</summary>
    public const string ResponderSkipped = "responder.skipped";

    /// <summary>A drafted case was sampled into the review queue: the rate it had, the risk weights, why, when it is due
    /// and whether a second person reviews it. Written once per case.</summary>
    public const string CaseSampled = "case.sampled";

    /// <summary>A person reviewed a sampled case: the verdicts (correctness, citations, action), the comment's digest.</summary>
    public const string ReviewSubmitted = "review.submitted";

    /// <summary>A sampled case's reviews are past due: the review authority is told, once per case.</summary>
    public const string ReviewOverdue = "review.overdue";

    /// <summary>Policy and the autonomy ladder decided a proposed action. Outcome <c>allow</c>,
    /// <c>require_approval</c> or <c>deny</c>; carries the deciding rules, the ladder's disposition (execute, await
    /// approval, record only, deny, halted), the approvers needed, and what <c>log_only</c> rules would have decided.</summary>
    public const string PolicyDecided = "policy.decided";

    /// <summary>An approval was opened for an action: the call digest it is bound to, who may decide, how many
    /// distinct people must, and when it expires (failing closed).</summary>
    public const string ApprovalRequested = "approval.requested";

    /// <summary>A proposal that policy let through was denied because it would go over one of the manifest's budgets:
    /// the budget, its limit, what was used and is left, what the call needed, and when the window resets.</summary>
    public const string BudgetExhausted = "budget.exhausted";

    /// <summary>A person decided an approval (approve, reject, approve with edits) with a comment, or it expired and
    /// failed closed. Carries the approval's new status and the call digest decided on.</summary>
    public const string ApprovalDecided = "approval.decided";

    /// <summary>An action ran on its system of record through a connector, or failed. Outcome <c>executed</c> or
    /// <c>failed</c>; carries the system's status code and reference, the error code, and the attempts made.</summary>
    public const string ActionExecuted = "action.executed";

    /// <summary>A queued action (allowed or approved, not yet run) was held because its workflow was halted: held,
    /// never dropped. Carries the action and the halt's reason.</summary>
    public const string ActionHeld = "action.held";

    /// <summary>A held action was checked again against the current policy and ladder after its workflow resumed.
    /// Outcome <c>approved</c> (it runs through the outbox), <c>pending_approval</c> (a new approval was opened) or
    /// <c>denied</c> (with the explanation); the <c>policy.decided</c> event before it carries the decision.</summary>
    public const string ActionRechecked = "action.rechecked";

    /// <summary>An approved call its system refused for a reason that passes, known not to have run (unreachable, busy,
    /// its token not yet checkable): it goes back to the outbox and is sent again with the same idempotency key.
    /// Carries the attempt, the status code or error kind, and the node.</summary>
    public const string ActionDeferred = "action.deferred";

    // Secrets.

    /// <summary>A connector credential was stored or replaced. Carries the connector's name, the credential's kind and
    /// who set it; never the value, nor a hash of it (a short password's hash is guessable).</summary>
    public const string SecretSet = "secret.set";

    /// <summary>A connector credential was deleted. Carries the connector's name and who removed it.</summary>
    public const string SecretRemoved = "secret.removed";

    /// <summary>A webhook delivery was given up after every attempt failed: the receiver never got this event. Carries
    /// the webhook, the event's sequence and id, the attempts and the last error; the cursor moves past it.</summary>
    public const string WebhookAbandoned = "webhook.abandoned";

    /// <summary>An evaluation run finished: the run's id, the manifest and golden set hashes, the verdict against the
    /// acceptance bar and the headline metrics. The run itself (per-case results) is stored with it.</summary>
    public const string EvaluationCompleted = "evaluation.completed";

    /// <summary>A calibration sweep was stored: its id, the manifest and golden set hashes, the settings swept and the
    /// recommended setting (or the closest one and the criteria it fails). The sweep's rows are stored with it.</summary>
    public const string EvaluationCalibrated = "evaluation.calibrated";

    /// <summary>The types code writes today.</summary>
    public static FrozenSet<string> Written { get; } = FrozenSet.Create(StringComparer.Ordinal,
    [
        ManifestPublished, ManifestPublishRefused, WorkflowActivated, WorkflowActivationRefused, WorkflowRolledBack, WorkflowHalted, WorkflowResumed,
        AccountCreated, RoleGranted, RoleRevoked, GroupMemberAdded, GroupMemberRemoved, SignedIn, SignInRefused,
        SecretSet, SecretRemoved,
        AgentRegistered, AgentKeyRotated, AgentEnabled, AgentDisabled,
        TokenIssued, TokenExchanged, TokenRefused, RequestRateLimited, TokenRejected, TokenRevoked, DeviceApproved, DeviceDenied,
        SourcesIngested, SourceInstructionFlagged, Retrieval, ModelCalled, DraftCreated,
        ActionProposed, PolicyDecided, ApprovalRequested, ApprovalDecided, ActionExecuted, BudgetExhausted, ActionHeld, ActionRechecked, ActionDeferred,
        ResponderSkipped,
        WebhookAbandoned,
        EvaluationCompleted, EvaluationCalibrated,
        CaseSampled, ReviewSubmitted, ReviewOverdue,
    ]);

    /// <summary>The types named for coming features, which nothing writes yet.</summary>
    public static FrozenSet<string> Reserved { get; } = FrozenSet.Create(StringComparer.Ordinal, Array.Empty<string>());
}
