namespace Skybridge.Core.Access;

/// <summary>A person's role. Every role but <see cref="Admin"/> is granted per workflow.</summary>
public enum WorkflowRole
{
    /// <summary>Accountable for the workflow: publishes manifests, activates and rolls back versions.</summary>
    Owner,

    /// <summary>Decides approvals for the workflow's actions.</summary>
    Approver,

    /// <summary>Reviews sampled live outputs.</summary>
    Reviewer,

    /// <summary>Reads everything about the workflow, changes nothing.</summary>
    Auditor,

    /// <summary>Runs the workflow day to day: sees its state, may halt it.</summary>
    Operator,

    /// <summary>Administers the installation: people and roles, every workflow. Granted globally.</summary>
    Admin,
}

/// <summary>Spelling of roles in the CLI, the API and the store.</summary>
public static class WorkflowRoles
{
    /// <summary>All roles in declaration order.</summary>
    public static readonly IReadOnlyList<WorkflowRole> All = Enum.GetValues<WorkflowRole>();

    /// <summary>The lower-case name used everywhere outside code (<c>owner</c>, <c>approver</c>...).</summary>
    public static string ToName(this WorkflowRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses a role name, ignoring case.</summary>
    public static bool TryParse(string? text, out WorkflowRole role)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), text, StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }
}
