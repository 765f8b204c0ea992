using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console;

/// <summary>The workflows the signed-in person holds a role on.</summary>
public sealed class IndexModel : PageModel
{
    private readonly AccessService _access;

    public IndexModel(AccessService access) => _access = access;

    public IReadOnlyList<WorkflowSummary> Workflows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Workflows = await _access.VisibleWorkflowsAsync(User, cancellationToken).ConfigureAwait(false);
}
