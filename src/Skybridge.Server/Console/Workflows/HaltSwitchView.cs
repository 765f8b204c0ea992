using System.Security.Claims;
using Skybridge.Application.Access;
using Skybridge.Application.Accounts;
using Skybridge.Application.Governance;
using Skybridge.Application.Manifests;
using Skybridge.Core.Access;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Workflows;

/// <summary>
/// The kill switch as the workflow page shows it: running or halted (by whom, when, why), who may press it (the
/// manifest's halt authority), and whether the person looking may.
/// </summary>
/// <param name="Halt">The halt in force, or null while the workflow runs.</param>
/// <param name="Authority">The halt authority as the manifest writes it.</param>
/// <param name="MayPress">True when the person holds the halt permission and is in the authority.</param>
public sealed record HaltSwitchView(WorkflowHalt? Halt, IReadOnlyList<string> Authority, bool MayPress)
{
    /// <summary>The switch of <paramref name="workflowId"/> for <paramref name="user"/>.</summary>
    internal static async Task<HaltSwitchView> LoadAsync(string workflowId, ClaimsPrincipal user, AccessService access, IWorkflowStore store,
        IActiveManifests manifests, IPeopleDirectory people, CancellationToken cancellationToken)
    {
        var halt = (await store.ListHaltsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(h => h.WorkflowId == workflowId);
        var manifest = (await manifests.GetAsync(workflowId, cancellationToken).ConfigureAwait(false))?.Manifest;
        var permitted = await access.CheckAsync(user, Permission.HaltWorkflow, workflowId, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        return new HaltSwitchView(halt, HaltAuthority.Describe(manifest),
            permitted && await HaltAuthority.AllowsAsync(manifest, PeopleSignIn.UserName(user) ?? "", people, cancellationToken).ConfigureAwait(false));
    }
}
