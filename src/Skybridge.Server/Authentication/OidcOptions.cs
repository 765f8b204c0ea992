using Skybridge.Core.Access;

using Skybridge.Application.Tokens;

namespace Skybridge.Server.Authentication;

/// <summary>One line of the group-to-role mapping: members of <see cref="Group"/> hold <see cref="Role"/> on <see cref="Workflow"/>.</summary>
/// <param name="Group">The group as the identity provider names it in the groups claim.</param>
/// <param name="Role">The Skybridge role.</param>
/// <param name="Workflow">The workflow, or <c>*</c> for the installation-wide admin role.</param>
public sealed record GroupRoleMapping(string Group, WorkflowRole Role, string Workflow)
{
    /// <summary>Parses <c>GROUP=ROLE@WORKFLOW</c> (or <c>GROUP=admin</c>); null with a reason when malformed.</summary>
    public static GroupRoleMapping? TryParse(string text, out string? problem)
    {
        problem = null;
        var eq = text?.IndexOf('=', StringComparison.Ordinal) ?? -1;
        if (text is null || eq <= 0)
        {
            problem = $"'{text}' is not GROUP=ROLE@WORKFLOW (or GROUP=admin)";
            return null;
        }

        var group = text[..eq].Trim();
        var rest = text[(eq + 1)..].Trim();
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var roleName = at < 0 ? rest : rest[..at];
        var workflow = at < 0 ? null : rest[(at + 1)..];
        if (!WorkflowRoles.TryParse(roleName, out var role))
        {
            problem = $"'{text}': unknown role '{roleName}' (roles: {string.Join(", ", WorkflowRoles.All.Select(r => r.ToName()))})";
            return null;
        }

        if (role == WorkflowRole.Admin)
        {
            return new GroupRoleMapping(group, role, AccessRules.GrantedOn(role, null));
        }

        if (string.IsNullOrWhiteSpace(workflow))
        {
            problem = $"'{text}': the {role.ToName()} role is per workflow; write {group}={role.ToName()}@WORKFLOW";
            return null;
        }

        return new GroupRoleMapping(group, role, workflow);
    }
}

/// <summary>
/// Sign-in through an external OpenID Connect provider, next to local accounts. People signed in this way get an
/// account named <c>sso.NAME</c>, and the roles the mapping gives their groups, refreshed at every sign-in.
/// </summary>
public sealed record OidcOptions
{
    /// <summary>The provider's issuer URL (its discovery document is at <c>/.well-known/openid-configuration</c>).</summary>
    public required string Authority { get; init; }

    /// <summary>Skybridge's client id at the provider.</summary>
    public required string ClientId { get; init; }

    /// <summary>The client secret, or null for a public client. Never logged.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>What the sign-in button says: "Sign in with ...".</summary>
    public string DisplayName { get; init; } = "single sign-on";

    /// <summary>The claim listing the person's groups.</summary>
    public string GroupsClaim { get; init; } = "groups";

    /// <summary>Scopes asked for besides <c>openid</c>.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = ["profile", "email"];

    /// <summary>Group-to-role mapping. Only grants the mapping made are revoked when a group goes; grants made by hand stay.</summary>
    public IReadOnlyList<GroupRoleMapping> RoleMappings { get; init; } = [];

    /// <summary>Require https for the provider's metadata (turn off only for a provider on loopback).</summary>
    public bool RequireHttpsMetadata { get; init; } = true;

    /// <summary>Every problem with these options at once (empty when fine).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https"))
        {
            problems.Add($"OIDC authority '{Authority}' is not an absolute http(s) URL");
        }
        else if (RequireHttpsMetadata && authority.Scheme != "https")
        {
            problems.Add($"OIDC authority '{Authority}' must use https");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            problems.Add("OIDC client id is empty");
        }

        if (string.IsNullOrWhiteSpace(GroupsClaim))
        {
            problems.Add("OIDC groups claim is empty");
        }

        return problems;
    }
}
