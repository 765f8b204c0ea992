using Skybridge.Application.Accounts;
using Skybridge.Core.Manifests;

namespace Skybridge.Application.Governance;

/// <summary>
/// Who may press the kill switch of a workflow: the people and groups its active manifest names in
/// <c>authorities.halt</c>. The role permission to halt says a person may use the switch at all; the manifest says whose
/// decision it is for this workflow, and both must agree (the same for resume: it is the same switch).
/// </summary>
public static class HaltAuthority
{
    /// <summary>The stable code of a refusal for a person outside the halt authority.</summary>
    public const string NotAuthority = "not_halt_authority";

    /// <summary>
    /// True when <paramref name="userName"/> (or one of <paramref name="groups"/>) is in the manifest's halt authority.
    /// A workflow without an active version has no authority to consult and nothing running: the role decides.
    /// </summary>
    public static bool Allows(WorkflowManifest? manifest, string userName, IReadOnlyCollection<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return manifest is null || manifest.Authorities.Halt.Any(p => p.Kind == PrincipalKind.User ? p.Name == userName : groups.Contains(p.Name));
    }

    /// <summary>
    /// True when <paramref name="userName"/>, with the groups they are in now (<paramref name="people"/>, never a
    /// session's claims), is in the manifest's halt authority: a person removed from a group cannot halt from then on.
    /// </summary>
    public static async Task<bool> AllowsAsync(WorkflowManifest? manifest, string userName, IPeopleDirectory people, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(people);
        if (manifest is null || manifest.Authorities.Halt.Any(p => p.Kind == PrincipalKind.User && p.Name == userName))
        {
            return true;
        }

        return Allows(manifest, userName, await people.GroupsOfAsync(userName, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The authority as written in the manifest (<c>group:support-ops</c>, <c>user:maria.lopez</c>), for people to read.</summary>
    public static IReadOnlyList<string> Describe(WorkflowManifest? manifest) =>
        manifest is null ? [] : [.. manifest.Authorities.Halt.Select(p => p.ToString())];
}
