using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Core.Access;
using Skybridge.Application.Access;
using Skybridge.Server.Telemetry;
using Skybridge.Server.Console;

namespace Skybridge.Server.Endpoints;

/// <summary>RFC 9457 problem details for the API, with a stable <c>code</c> extension a client can switch on.</summary>
internal static class ApiProblems
{
    public static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api");

    public static IResult Problem(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return Results.Problem(statusCode: status, title: title, detail: detail, extensions: ext);
    }

    public static IResult For(AccessVerdict verdict) => verdict switch
    {
        AccessVerdict.Unauthenticated => Problem(StatusCodes.Status401Unauthorized, "unauthenticated", "Sign in first."),
        AccessVerdict.NotFound => Problem(StatusCodes.Status404NotFound, "not_found", "No such workflow, or you hold no role on it."),
        AccessVerdict.Forbidden => Problem(StatusCodes.Status403Forbidden, "forbidden", "Your role on this workflow does not allow this."),
        AccessVerdict.InsufficientScope => Problem(StatusCodes.Status403Forbidden, "insufficient_scope", "Your token's scope does not allow this.",
            "Sign in again (skybridge login) with a scope that includes what this request needs; your roles still decide."),
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    public static Task RedirectOrProblem(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.HttpContext))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Bare status codes become problem details on the API and a readable page in the console.</summary>
    public static async Task StatusCodePage(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (IsApi(http) || http.Request.Path.StartsWithSegments("/health"))
        {
            var code = http.Response.StatusCode switch
            {
                400 => "bad_request",
                401 => "unauthenticated",
                403 => "forbidden",
                404 => "not_found",
                405 => "method_not_allowed",
                413 => "body_too_large",
                415 => "unsupported_media_type",
                429 => "rate_limited",
                _ => "error",
            };
            await Problem(http.Response.StatusCode, code, ReasonPhrase(http.Response.StatusCode)).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        http.Response.ContentType = "text/html; charset=utf-8";
        var status = http.Response.StatusCode;
        var message = status switch
        {
            403 => "Your role does not allow this page.",
            404 => "There is nothing here, or you hold no role on it.",
            _ => ReasonPhrase(status),
        };
        var nonce = http.Items[ConsoleSecurity.NonceKey] as string ?? "";
        await http.Response.WriteAsync(
            $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} · Skybridge</title>" +
            $"<style nonce=\"{nonce}\">body{{font-family:system-ui,sans-serif;margin:3rem}}</style></head>" +
            $"<body><h1>{status}</h1><p id=\"status-message\">{message}</p><p><a href=\"/\">Back to workflows</a></p></body></html>",
            http.RequestAborted).ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
