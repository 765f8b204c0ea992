using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;

namespace Skybridge.Server.Console;

/// <summary>Where a signed-in person enters the code <c>skybridge login</c> shows, and approves or denies (RFC 8628).</summary>
public sealed class DeviceModel : PageModel
{
    private readonly DeviceAuthorizationService _devices;

    public DeviceModel(DeviceAuthorizationService devices) => _devices = devices;

    [BindProperty(SupportsGet = true, Name = "user_code")]
    public string? UserCode { get; set; }

    public string? Message { get; private set; }

    public bool Failed { get; private set; }

    public bool Done { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? userCode, [FromForm] string? decision, CancellationToken cancellationToken)
    {
        UserCode = userCode;
        var userName = PeopleSignIn.UserName(User)!;
        var outcome = await _devices.ApproveAsync(userCode ?? "", userName, decision == "approve", cancellationToken).ConfigureAwait(false);
        (Message, Failed, Done) = outcome switch
        {
            DeviceApproval.Approved => ("Approved. The terminal is signed in as you; you can close this page.", false, true),
            DeviceApproval.Denied => ("Denied. The terminal gets nothing.", false, true),
            DeviceApproval.Throttled => ("Too many wrong codes. Wait 15 minutes, then start skybridge login again.", true, false),
            DeviceApproval.ScopeTooWide => ("The terminal asks for more than your roles allow; nothing was approved.", true, false),
            _ => ("That code is unknown, expired or already used. Check it, or start skybridge login again.", true, false),
        };
        if (Failed)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return Page();
    }
}
