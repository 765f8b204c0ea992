using Skybridge.Core.Identity;

namespace Skybridge.Core.Access;

/// <summary>
/// What a person may do. Every API endpoint, console page and token decision about people names exactly one
/// permission; <see cref="AccessRules"/> says which roles carry it and which OAuth scope a person's token needs for it.
/// </summary>
public enum Permission
{
    /// <summary>See a workflow: its summary, version history and activation history.</summary>
    ReadWorkflow,

    /// <summary>Read the full YAML of a manifest version.</summary>
    ReadManifest,

    /// <summary>Publish a new manifest version.</summary>
    PublishManifest,

    /// <summary>Activate a version or roll back to the previous one.</summary>
    ActivateVersion,

    /// <summary>See who holds which role on a workflow.</summary>
    ReadRoles,

    /// <summary>Grant and revoke roles on a workflow.</summary>
    ManageRoles,

    /// <summary>List and create accounts (installation-wide).</summary>
    ManageUsers,

    /// <summary>
    /// Read ledger events of every workflow (installation-wide). Checkpoints and proofs carry only hashes and are
    /// open to anyone signed in.
    /// </summary>
    ReadLedgerEvents,

    /// <summary>Register agents, rotate their keys, disable and enable them.</summary>
    ManageAgents,

    /// <summary>Pull the kill switch (halt) and resume.</summary>
    HaltWorkflow,

    /// <summary>Submit a case to a workflow and get its draft (or let an agent submit one on the person's behalf).</summary>
    SubmitCase,

    /// <summary>Read a submitted case's draft.</summary>
    ReadCase,

    /// <summary>Read a case's trail in the ledger: retrieval, model call, draft, decisions.</summary>
    ReadCaseTrail,

    /// <summary>Propose an action for a case (agents with <c>actions:propose</c>; policy decides what happens to it).</summary>
    ProposeAction,

    /// <summary>See a workflow's approvals and the calls they are bound to.</summary>
    ReadApprovals,

    /// <summary>Decide an approval (the manifest's approve authorities then say who may decide which action).</summary>
    DecideApproval,

    /// <summary>Decide a workflow's recorded decisions again under a candidate manifest (policy replay).</summary>
    ReplayPolicy,

    /// <summary>See a workflow's review queue, its production metrics and reviewer agreement.</summary>
    ReadReviews,

    /// <summary>Review a sampled case (the manifest's review authority then says who may).</summary>
    SubmitReview,
}

/// <summary>One row of the access table.</summary>
/// <param name="Roles">The roles that carry the permission.</param>
/// <param name="Scope">The OAuth scope a person's DPoP-bound token must hold to use it (a session cookie needs none).</param>
/// <param name="OnWorkflow">True when it is exercised on one workflow; false when installation-wide.</param>
/// <param name="Agents">
/// True when an agent may use it too, on its own workflow only and with the scope its manifest role declares.
/// </param>
public sealed record PermissionRule(IReadOnlyList<WorkflowRole> Roles, string Scope, bool OnWorkflow, bool Agents = false);

/// <summary>
/// The role-to-permission table: one place, used by the API, the console, the CLI sign-in and the token service.
/// Admin is installation-wide; every other role counts only on the workflow it was granted for.
/// </summary>
public static class AccessRules
{
    /// <summary>The workflow id of a grant that counts on every workflow (the admin role's).</summary>
    public const string AllWorkflows = "*";

    /// <summary>Scopes of person tokens: see the workflows, their manifests and who holds roles.</summary>
    public const string WorkflowsRead = "workflows:read";

    /// <summary>Scopes of person tokens: publish manifests, activate and roll back versions.</summary>
    public const string WorkflowsWrite = "workflows:write";

    /// <summary>Scopes of person tokens: pull the kill switch and resume.</summary>
    public const string WorkflowsHalt = "workflows:halt";

    /// <summary>Scopes of person tokens: register, rotate, disable and enable agents.</summary>
    public const string AgentsManage = "agents:manage";

    /// <summary>Scopes of person tokens: create accounts, grant and revoke roles.</summary>
    public const string PeopleManage = "people:manage";

    /// <summary>Scopes of person tokens: read ledger events and case trails.</summary>
    public const string LedgerRead = "ledger:read";

    /// <summary>Scopes of person and agent tokens: read cases' drafts.</summary>
    public const string CasesRead = "cases:read";

    /// <summary>Scopes of person and agent tokens: submit cases.</summary>
    public const string CasesWrite = "cases:write";

    /// <summary>Scope of proposing actions (agents; the manifest gives it to their role).</summary>
    public const string ActionsPropose = "actions:propose";

    /// <summary>Scope of seeing approvals.</summary>
    public const string ApprovalsRead = "approvals:read";

    /// <summary>Scope of deciding approvals.</summary>
    public const string ApprovalsDecide = "approvals:decide";

    /// <summary>Scope of seeing the review queue and its metrics.</summary>
    public const string ReviewsRead = "reviews:read";

    /// <summary>Scope of reviewing sampled cases.</summary>
    public const string ReviewsWrite = "reviews:write";

    private static readonly WorkflowRole[] Everyone = [WorkflowRole.Owner, WorkflowRole.Approver, WorkflowRole.Reviewer, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin];

    private static readonly Dictionary<Permission, PermissionRule> Table = new()
    {
        [Permission.ReadWorkflow] = new(Everyone, WorkflowsRead, OnWorkflow: true),
        [Permission.ReadManifest] = new([WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin], WorkflowsRead, OnWorkflow: true),
        [Permission.PublishManifest] = new([WorkflowRole.Owner, WorkflowRole.Admin], WorkflowsWrite, OnWorkflow: true),
        [Permission.ActivateVersion] = new([WorkflowRole.Owner, WorkflowRole.Admin], WorkflowsWrite, OnWorkflow: true),
        [Permission.ReadRoles] = new([WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Admin], WorkflowsRead, OnWorkflow: true),
        [Permission.ManageRoles] = new([WorkflowRole.Owner, WorkflowRole.Admin], PeopleManage, OnWorkflow: true),
        [Permission.ManageUsers] = new([WorkflowRole.Admin], PeopleManage, OnWorkflow: false),
        [Permission.ReadLedgerEvents] = new([WorkflowRole.Admin], LedgerRead, OnWorkflow: false),
        [Permission.ManageAgents] = new([WorkflowRole.Owner, WorkflowRole.Admin], AgentsManage, OnWorkflow: true),
        [Permission.HaltWorkflow] = new([WorkflowRole.Owner, WorkflowRole.Operator, WorkflowRole.Admin], WorkflowsHalt, OnWorkflow: true),

        // Cases are the workflow's work. The owner and the operator run it and may put work in; approvers decide
        // the actions a draft proposes and reviewers grade sampled outputs, so letting them submit would let them
        // make the very work they judge; auditors only read.
        [Permission.SubmitCase] = new([WorkflowRole.Owner, WorkflowRole.Operator, WorkflowRole.Admin], CasesWrite, OnWorkflow: true, Agents: true),

        // Everyone on the workflow reads drafts: approvers and reviewers need them to judge, auditors to audit.
        [Permission.ReadCase] = new(Everyone, CasesRead, OnWorkflow: true, Agents: true),

        // The trail is the accountability record (who asked, what was retrieved, which engine answered): the people
        // accountable for the workflow or auditing it, not those who only judge single outputs.
        [Permission.ReadCaseTrail] = new([WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin], LedgerRead, OnWorkflow: true),
        // Actions are proposed by the workflow's agents; people act through their own systems, or approve.
        [Permission.ProposeAction] = new([], ActionsPropose, OnWorkflow: true, Agents: true),
        // What waits for whom: the approvers, and those accountable for or auditing the workflow.
        [Permission.ReadApprovals] = new([WorkflowRole.Owner, WorkflowRole.Approver, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin], ApprovalsRead, OnWorkflow: true),
        // Approvers decide; which actions each may decide is the manifest's approve authorities, checked per approval.
        [Permission.DecideApproval] = new([WorkflowRole.Approver, WorkflowRole.Admin], ApprovalsDecide, OnWorkflow: true),
        // A replay lists the workflow's recorded decisions (actions, cases, rules): those who may read its trail, and
        // the owner who changes its policy. Approvers and reviewers judge single calls, not the policy.
        [Permission.ReplayPolicy] = new([WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin], LedgerRead, OnWorkflow: true),
        // The queue and production quality: reviewers work it, the owner and operator run the workflow by it, auditors audit.
        [Permission.ReadReviews] = new([WorkflowRole.Owner, WorkflowRole.Reviewer, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin], ReviewsRead, OnWorkflow: true),
        // Reviewers grade; which of them may is the manifest's review authority, checked per review (and never their own case).
        [Permission.SubmitReview] = new([WorkflowRole.Reviewer, WorkflowRole.Admin], ReviewsWrite, OnWorkflow: true),
    };

    /// <summary>Every scope a person's token may carry, each named by at least one permission.</summary>
    public static IReadOnlyList<string> PersonScopes { get; } = [.. Table.Values.Where(r => r.Roles.Count > 0).Select(r => r.Scope).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The table's row for a permission.</summary>
    public static PermissionRule Rule(Permission permission) => Table[permission];

    /// <summary>The roles that carry a permission.</summary>
    public static IReadOnlyList<WorkflowRole> RolesFor(Permission permission) => Table[permission].Roles;

    /// <summary>The scope a person's token must hold to use a permission.</summary>
    public static string ScopeFor(Permission permission) => Table[permission].Scope;

    /// <summary>
    /// The one rule of where a grant counts: an admin grant on every workflow, any other grant only on the workflow it
    /// was granted for, and never installation-wide (<paramref name="workflowId"/> null).
    /// </summary>
    public static bool Counts(WorkflowRole role, string grantedOn, string? workflowId) =>
        role == WorkflowRole.Admin || (workflowId is not null && string.Equals(grantedOn, workflowId, StringComparison.Ordinal));

    /// <summary>Where a new grant of <paramref name="role"/> "on <paramref name="workflowId"/>" is recorded: admin is always installation-wide.</summary>
    public static string GrantedOn(WorkflowRole role, string? workflowId) =>
        role == WorkflowRole.Admin ? AllWorkflows : workflowId ?? throw new ArgumentNullException(nameof(workflowId), $"The {role} role is granted per workflow.");

    /// <summary>
    /// True when a person holding <paramref name="grants"/> (role, workflow id or "*") may exercise
    /// <paramref name="permission"/> on <paramref name="workflowId"/> (null for installation-wide permissions).
    /// </summary>
    public static bool IsAllowed(IEnumerable<(WorkflowRole Role, string WorkflowId)> grants, Permission permission, string? workflowId)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var roles = Table[permission].Roles;
        return grants.Any(g => roles.Contains(g.Role) && Counts(g.Role, g.WorkflowId, workflowId));
    }

    /// <summary>
    /// True when a person's token of <paramref name="tokenScope"/> may be used for <paramref name="permission"/>
    /// (RFC 6750 section 3.1: otherwise <c>insufficient_scope</c>). A session cookie has no scope: pass null, and
    /// only roles count. The scope never widens what the roles allow; <see cref="IsAllowed"/> still decides.
    /// </summary>
    public static bool ScopeAllows(ScopeSet? tokenScope, Permission permission) =>
        tokenScope is null || tokenScope.Contains(ScopeFor(permission));

    /// <summary>
    /// What a person's own token may carry: the scope of every permission their roles give them somewhere (the union
    /// over their grants). The roles still decide each request; the scope only ever narrows.
    /// </summary>
    public static ScopeSet ScopesFor(IEnumerable<(WorkflowRole Role, string WorkflowId)> grants)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var list = grants.ToList();
        return ScopeSet.Of(Table
            .Where(row => list.Any(g => IsAllowed([g], row.Key, row.Value.OnWorkflow ? g.WorkflowId : null)))
            .Select(row => row.Value.Scope));
    }

    /// <summary>
    /// Which roles a person may grant on a workflow. Admins grant anything; owners grant the working roles
    /// of their own workflow but never owner or admin, so ownership changes stay an administrator's decision.
    /// </summary>
    public static bool MayGrant(IEnumerable<(WorkflowRole Role, string WorkflowId)> grants, WorkflowRole roleToGrant, string workflowId)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var list = grants.ToList();
        return roleToGrant is WorkflowRole.Owner or WorkflowRole.Admin
            ? list.Any(g => g.Role == WorkflowRole.Admin)
            : IsAllowed(list, Permission.ManageRoles, workflowId);
    }
}
