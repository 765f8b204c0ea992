using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application.Accounts;
using Skybridge.Server.Telemetry;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens;

namespace Skybridge.Server.Authentication;

/// <summary>Wires OpenID Connect sign-in (authorization code + PKCE, Microsoft.AspNetCore.Authentication.OpenIdConnect).</summary>
public static class OidcSetup
{
    /// <summary>The authentication scheme of the external provider.</summary>
    public const string Scheme = "oidc";

    /// <summary>Adds the OIDC scheme when <see cref="SkybridgeServerOptions.Oidc"/> is set; refuses to start on bad options.</summary>
    public static AuthenticationBuilder AddExternalSignIn(this AuthenticationBuilder builder, SkybridgeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Oidc is not { } oidc)
        {
            return builder;
        }

        if (oidc.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException("OpenID Connect sign-in is misconfigured: " + string.Join("; ", problems) + ".");
        }

        builder.Services.AddSingleton(oidc);
        builder.Services.AddSingleton<ExternalSignIn>();
        return builder.AddOpenIdConnect(Scheme, oidc.DisplayName, o =>
        {
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = oidc.ClientSecret;
            o.ResponseType = "code";
            o.ResponseMode = "query";
            o.UsePkce = true;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.CallbackPath = "/signin-oidc";
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            o.Scope.Clear();
            o.Scope.Add("openid");
            foreach (var scope in oidc.Scopes)
            {
                o.Scope.Add(scope);
            }

            // Correlation and nonce cookies follow the session cookie's rule: Secure when the server says so.
            foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
            {
                cookie.SecurePolicy = ServerSessions.SecureCookies(options) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                cookie.SameSite = ServerSessions.SecureCookies(options) ? SameSiteMode.None : SameSiteMode.Lax;
            }

            // Accounts and roles change only once every check has passed: the ticket is received after the id_token's
            // signature, issuer, audience, lifetime and the nonce (checked after TokenValidated in the code flow).
            o.Events.OnTicketReceived = async context =>
            {
                var signIn = context.HttpContext.RequestServices.GetRequiredService<ExternalSignIn>();
                var account = await signIn.SignInAsync(context.Principal!, context.HttpContext.RequestAborted).ConfigureAwait(false);
                if (account is not { } a)
                {
                    context.Fail("The identity provider named no user.");
                    return;
                }

                // From here on the person is a Skybridge account like any other: same session, same access checks.
                context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                    [new Claim(ClaimTypes.Name, a.UserName), new Claim("display_name", a.DisplayName)], CookieAuthenticationDefaults.AuthenticationScheme));
            };
            o.Events.OnRemoteFailure = async context =>
            {
                // Only the kind of failure is recorded: provider messages can quote tokens.
                var ledger = context.HttpContext.RequestServices.GetRequiredService<ILedger>();
                await ledger.AppendAsync(new LedgerEntry
                {
                    Type = LedgerEventTypes.SignInRefused,
                    Actors = [LedgerActor.System("oidc")],
                    Resource = new LedgerResource("account", "unknown"),
                    Outcome = "oidc_failed",
                    Content = new JsonObject { ["reason"] = context.Failure?.GetType().Name ?? "unknown" },
                }, context.HttpContext.RequestAborted).ConfigureAwait(false);
                context.Response.Redirect("/signin?error=sso");
                context.HandleResponse();
            };
        });
    }

    /// <summary><c>GET /signin/oidc?returnUrl=/path</c>: starts the provider's sign-in.</summary>
    public static IEndpointRouteBuilder MapExternalSignIn(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/signin/oidc", (HttpContext context, string? returnUrl) =>
        {
            if (context.RequestServices.GetService<OidcOptions>() is null)
            {
                return Results.NotFound();
            }

            // Only local paths come back: an open redirect would send a freshly signed-in person anywhere.
            var target = returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) ? returnUrl : "/";
            return Results.Challenge(new AuthenticationProperties { RedirectUri = target }, [Scheme]);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
