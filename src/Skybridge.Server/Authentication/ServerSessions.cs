using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Server.Authentication;

/// <summary>
/// Server-side sessions behind the session cookie. The cookie alone would stay valid until it expires, sign-out or
/// not, so each sign-in gets a random session id (a <c>sid</c> claim inside the encrypted cookie), the store keeps
/// its digest, every request checks it there, and sign-out revokes it: a copied cookie stops working on every node.
/// </summary>
internal static class ServerSessions
{
    public const string SessionIdClaim = "sid";

    /// <summary>How long a session is remembered at all; the cookie's own (sliding) expiry is much shorter.</summary>
    private static readonly TimeSpan Remembered = TimeSpan.FromDays(30);

    /// <summary>Cookies carry the Secure flag when asked to, and always when the public URL is https.</summary>
    public static bool SecureCookies(SkybridgeServerOptions options) =>
        options.SecureCookies || (options.PublicUrl?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ?? false);

    public static void Attach(CookieAuthenticationEvents events)
    {
        events.OnSigningIn = async context =>
        {
            var services = context.HttpContext.RequestServices;
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            var identity = (ClaimsIdentity)context.Principal!.Identity!;
            foreach (var stale in identity.FindAll(SessionIdClaim).ToList())
            {
                identity.RemoveClaim(stale);
            }

            identity.AddClaim(new Claim(SessionIdClaim, id));
            await services.GetRequiredService<ISkybridgeStore>()
                .CreateSessionAsync(Digest(id), identity.Name ?? "", now, now - Remembered, context.HttpContext.RequestAborted).ConfigureAwait(false);
        };

        events.OnValidatePrincipal = async context =>
        {
            var services = context.HttpContext.RequestServices;
            var id = context.Principal?.FindFirst(SessionIdClaim)?.Value;
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            if (id is not null && await services.GetRequiredService<ISkybridgeStore>()
                    .IsSessionActiveAsync(Digest(id), now - Remembered, context.HttpContext.RequestAborted).ConfigureAwait(false))
            {
                return;
            }

            // Signed out elsewhere, or a cookie from before sessions were kept: not signed in any more.
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        };

        events.OnSigningOut = async context =>
        {
            var id = context.HttpContext.User.FindFirst(SessionIdClaim)?.Value;
            if (id is null)
            {
                return;
            }

            var services = context.HttpContext.RequestServices;
            await services.GetRequiredService<ISkybridgeStore>()
                .RevokeSessionAsync(Digest(id), services.GetRequiredService<TimeProvider>().GetUtcNow(), context.HttpContext.RequestAborted).ConfigureAwait(false);
        };
    }

    private static string Digest(string id) => LedgerEntry.Digest(id);
}
