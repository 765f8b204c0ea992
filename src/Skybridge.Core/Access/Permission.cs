namespace Skybridge.Core.Access;

/// <summary>What a person may do. Every API endpoint and console page requires exactly one permission.</summary>
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
}

/// <summary>
/// The role-to-permission table: one place, used by the API, the console and the CLI.
/// Admin is installation-wide; every other role counts only on the workflow it was granted for.
/// </summary>
public static class AccessRules
{
    private static readonly Dictionary<Permission, WorkflowRole[]> Table = new()
    {
        [Permission.ReadWorkflow] = [WorkflowRole.Owner, WorkflowRole.Approver, WorkflowRole.Reviewer, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin],
        [Permission.ReadManifest] = [WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Operator, WorkflowRole.Admin],
        [Permission.PublishManifest] = [WorkflowRole.Owner, WorkflowRole.Admin],
        [Permission.ActivateVersion] = [WorkflowRole.Owner, WorkflowRole.Admin],
        [Permission.ReadRoles] = [WorkflowRole.Owner, WorkflowRole.Auditor, WorkflowRole.Admin],
        [Permission.ManageRoles] = [WorkflowRole.Owner, WorkflowRole.Admin],
        [Permission.ManageUsers] = [WorkflowRole.Admin],
        [Permission.ReadLedgerEvents] = [WorkflowRole.Admin],
        [Permission.ManageAgents] = [WorkflowRole.Owner, WorkflowRole.Admin],
        [Permission.HaltWorkflow] = [WorkflowRole.Owner, WorkflowRole.Operator, WorkflowRole.Admin],
    };

    /// <summary>The roles that carry a permission.</summary>
    public static IReadOnlyList<WorkflowRole> RolesFor(Permission permission) => Table[permission];

    /// <summary>
    /// True when a person holding <paramref name="grants"/> (role, workflow id or "*") may exercise
    /// <paramref name="permission"/> on <paramref name="workflowId"/> (null for installation-wide permissions).
    /// </summary>
    public static bool IsAllowed(IEnumerable<(WorkflowRole Role, string WorkflowId)> grants, Permission permission, string? workflowId)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var roles = Table[permission];
        foreach (var (role, grantedOn) in grants)
        {
            if (Array.IndexOf(roles, role) < 0)
            {
                continue;
            }

            // Admin counts everywhere; other roles only on their own workflow, never installation-wide.
            if (role == WorkflowRole.Admin || (workflowId is not null && string.Equals(grantedOn, workflowId, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Which roles a person may grant on a workflow. Admins grant anything; owners grant the working roles
    /// of their own workflow but never owner or admin, so ownership changes stay an administrator's decision.
    /// </summary>
    public static bool MayGrant(IEnumerable<(WorkflowRole Role, string WorkflowId)> grants, WorkflowRole roleToGrant, string workflowId)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var list = grants.ToList();
        if (list.Any(g => g.Role == WorkflowRole.Admin))
        {
            return true;
        }

        return roleToGrant is not (WorkflowRole.Owner or WorkflowRole.Admin)
            && list.Any(g => g.Role == WorkflowRole.Owner && string.Equals(g.WorkflowId, workflowId, StringComparison.Ordinal));
    }
}
