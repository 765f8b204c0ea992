using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Accounts;
using Skybridge.Server.Telemetry;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Console;

/// <summary>The sign-in form for local accounts.</summary>
public sealed class SignInModel : PageModel
{
    private readonly AccountService _accounts;
    private readonly ILogger<SignInModel> _logger;

    public SignInModel(AccountService accounts, ILogger<SignInModel> logger, IServiceProvider services)
    {
        _accounts = accounts;
        _logger = logger;
        SingleSignOn = (services.GetService(typeof(Skybridge.Server.Authentication.OidcOptions)) as Skybridge.Server.Authentication.OidcOptions)?.DisplayName;
    }

    /// <summary>The external provider's name when single sign-on is configured, else null.</summary>
    public string? SingleSignOn { get; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? UserName { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string? Error { get; private set; }

    public void OnGet(string? error)
    {
        if (error == "sso")
        {
            Error = "Single sign-on did not complete. Try again, or sign in with a local account.";
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var result = await _accounts.SignInAsync(UserName ?? "", Password ?? "", cancellationToken).ConfigureAwait(false);
        SkybridgeTelemetry.SignIns.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome.ToString()));
        switch (result.Outcome)
        {
            case SignInOutcome.SignedIn:
                await PeopleSignIn.SignInAsync(HttpContext, result.User!.UserName, result.User.DisplayName).ConfigureAwait(false);
                Log.SignedIn(_logger, result.User.UserName);
                // Only local paths: an open redirect would let a link send a freshly signed-in person anywhere.
                return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
            case SignInOutcome.LockedOut:
                Log.SignInRefused(_logger, result.Account ?? Log.UnknownAccount, "locked");
                Error = "This account is locked after repeated failed sign-ins. Try again later or ask an administrator.";
                break;
            default:
                Log.SignInRefused(_logger, result.Account ?? Log.UnknownAccount, "wrong credentials");
                Error = "Wrong user name or password.";
                break;
        }

        Password = null;
        Response.StatusCode = 401;
        return Page();
    }
}
