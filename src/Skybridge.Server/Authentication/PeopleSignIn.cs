using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Skybridge.Application.Access;

namespace Skybridge.Server.Authentication;

/// <summary>The console's session for a person: one way in for the API's and the console's sign-in forms.</summary>
internal static class PeopleSignIn
{
    /// <summary>The signed-in person's user name, or null.</summary>
    public static string? UserName(ClaimsPrincipal user) => AccessService.UserName(user);

    /// <summary>Starts a session cookie for a person whose credentials were checked (see <c>AccountService</c>).</summary>
    public static Task SignInAsync(HttpContext context, string userName, string displayName)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, userName), new Claim("display_name", displayName)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        return context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }
}
