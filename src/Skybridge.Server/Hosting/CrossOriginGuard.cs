using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;

namespace Skybridge.Server.Hosting;

/// <summary>
/// Refuses cross-site state changes made with the session cookie. A browser attaches the cookie to any request a
/// page sends, including a form or a <c>text/plain</c> post from another site (SameSite=Strict is one defence; this is
/// the second, for browsers or proxies that do not honour it). So a state-changing request that carries the session
/// cookie must show it comes from this site: an <c>Origin</c> equal to the server's own origin, or
/// <c>Sec-Fetch-Site: same-origin</c> (Fetch Metadata), and JSON endpoints take only JSON, which no form can send.
/// Requests authenticated with a DPoP token are not affected: the token is sent by the client, not by the browser.
/// </summary>
internal static partial class CrossOriginGuard
{
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || request.Headers.Authorization.ToString().StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase)
            // The OAuth endpoints authenticate clients by the form (assertions, device codes), never by the cookie.
            || request.Path.StartsWithSegments("/oauth")
            || !request.Cookies.Keys.Any(k => k.StartsWith(SkybridgeServer.SessionCookieName, StringComparison.Ordinal)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (!IsSameOrigin(context))
        {
            LogRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Skybridge.Access"), request.Method, request.Path.Value ?? "");
            await ApiProblems.Problem(StatusCodes.Status403Forbidden, "cross_origin_refused", "Cross-origin request refused.",
                "A request made with the session cookie must come from this site (Origin or Sec-Fetch-Site).").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (request.ContentLength is not 0 && request.ContentType is { } type && !RequestHygiene.IsJson(type, out _)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts
            && accepts.ContentTypes.All(t => RequestHygiene.IsJson(t, out _)))
        {
            await ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "This operation takes JSON.",
                "Send Content-Type: application/json.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private static bool IsSameOrigin(HttpContext context)
    {
        var request = context.Request;
        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || request.Headers.Origin.Count != 1)
        {
            return false;
        }

        // The origin the browser reached (behind a proxy, the public URL's) or the one this request names itself.
        var own = $"{request.Scheme}://{request.Host.Value}";
        var issuer = new Uri(context.RequestServices.GetRequiredService<IssuerUrls>().Issuer).GetLeftPart(UriPartial.Authority);
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) || string.Equals(origin, issuer, StringComparison.OrdinalIgnoreCase);
    }

    [LoggerMessage(1021, LogLevel.Warning, "Refused a cross-origin {Method} {Path} made with the session cookie")]
    private static partial void LogRefused(ILogger logger, string method, string path);
}
