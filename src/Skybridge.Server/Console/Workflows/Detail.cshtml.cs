using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Core.Access;
using Skybridge.Application.Access;
using Skybridge.Application.Accounts;
using Skybridge.Storage;
using Microsoft.AspNetCore.Http;
using Skybridge.Application.Governance;
using Skybridge.Application.Manifests;
using Skybridge.Server.Authentication;

namespace Skybridge.Server.Console.Workflows;

/// <summary>One workflow: active version, autonomy level, manifest and activation history.</summary>
public sealed class DetailModel : PageModel
{
    private readonly AccessService _access;
    private readonly IWorkflowStore _store;
    private readonly IActiveManifests _manifests;
    private readonly KillSwitch _killSwitch;

    private readonly IActionStore _actions;
    private readonly TimeProvider _time;
    private readonly IPeopleDirectory _people;

    public DetailModel(AccessService access, IWorkflowStore store, IActiveManifests manifests, KillSwitch killSwitch, IActionStore actions, TimeProvider time, IPeopleDirectory people)
    {
        _time = time;
        _access = access;
        _store = store;
        _manifests = manifests;
        _killSwitch = killSwitch;
        _actions = actions;
        _people = people;
    }

    /// <summary>The kill switch area.</summary>
    public HaltSwitchView? Halt { get; private set; }

    public WorkflowSummary? Workflow { get; private set; }
    public IReadOnlyList<ManifestVersion> Versions { get; private set; } = [];
    public IReadOnlyList<Activation> Activations { get; private set; } = [];

    /// <summary>Per version, the activation that says how it passed the evaluation gate.</summary>
    public IReadOnlyDictionary<int, Activation> Gates { get; private set; } = new Dictionary<int, Activation>();
    public bool CanReadManifest { get; private set; }

    /// <summary>How many approvals wait for a person, for those who may read approvals; null hides the inbox link.</summary>
    public int? PendingApprovals { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Workflow = await _store.GetWorkflowAsync(id, cancellationToken).ConfigureAwait(false);
        Versions = await _store.ListVersionsAsync(id, cancellationToken).ConfigureAwait(false);
        Activations = await _store.ListActivationsAsync(id, cancellationToken).ConfigureAwait(false);
        Gates = Skybridge.Application.Manifests.ActivationBases.ByVersion(Activations);
        CanReadManifest = await _access.CheckAsync(User, Permission.ReadManifest, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed;
        Halt = await HaltSwitchView.LoadAsync(id, User, _access, _store, _manifests, _people, cancellationToken).ConfigureAwait(false);

        if (await _access.CheckAsync(User, Permission.ReadApprovals, id, cancellationToken).ConfigureAwait(false) == AccessVerdict.Allowed)
        {
            PendingApprovals = (await _actions.ListApprovalsAsync(new ApprovalQuery { WorkflowId = id, Status = ApprovalStatuses.Pending, Limit = 1000 }, cancellationToken).ConfigureAwait(false))
                .Count(a => a.ExpiresAt > _time.GetUtcNow());
        }

        return Page();
    }

    /// <summary>The kill switch pressed: halts the workflow (the halt authority only).</summary>
    public Task<IActionResult> OnPostHaltAsync(string id, [FromForm] string? reason, CancellationToken cancellationToken) =>
        PressAsync(id, reason, halt: true, cancellationToken);

    /// <summary>The kill switch released: resumes the workflow (the halt authority only).</summary>
    public Task<IActionResult> OnPostResumeAsync(string id, [FromForm] string? reason, CancellationToken cancellationToken) =>
        PressAsync(id, reason, halt: false, cancellationToken);

    private async Task<IActionResult> PressAsync(string id, string? reason, bool halt, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.HaltWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        if (!(await HaltSwitchView.LoadAsync(id, User, _access, _store, _manifests, _people, cancellationToken).ConfigureAwait(false)).MayPress)
        {
            return StatusCode(StatusCodes.Status403Forbidden);
        }

        var why = string.IsNullOrWhiteSpace(reason) ? "(no reason given)" : reason.Trim()[..Math.Min(reason.Trim().Length, 500)];
        var actor = PeopleSignIn.UserName(User)!;
        _ = halt
            ? await _killSwitch.HaltAsync(actor, id, why, cancellationToken).ConfigureAwait(false)
            : await _killSwitch.ResumeAsync(actor, id, why, cancellationToken).ConfigureAwait(false);
        return RedirectToPage(new { id });
    }
}
