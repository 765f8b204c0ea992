using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Skybridge.Server.Endpoints;

namespace Skybridge.Server.Hosting;

/// <summary>
/// The one place where requests the server cannot read are turned away: unknown methods, JSON in a character set
/// other than UTF-8, and bodies that do not bind (malformed, missing a required member, too large). Each answer is a
/// 4xx with problem details and a stable code, on the API and the console alike, instead of an exception escaping to
/// a 500.
/// </summary>
internal static class RequestHygiene
{
    private static readonly HashSet<string> KnownMethods = new(StringComparer.Ordinal)
    {
        HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch, HttpMethods.Options,
    };

    /// <summary>Runs before routing, so nothing downstream sees a request it cannot handle.</summary>
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!KnownMethods.Contains(request.Method))
        {
            // TRACE echoes the request (cookies included) and nothing here speaks WebDAV (RFC 9110 section 9.3.8).
            context.Response.Headers.Allow = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";
            await ApiProblems.Problem(StatusCodes.Status405MethodNotAllowed, "method_not_allowed",
                "This method is not supported.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (IsJson(request.ContentType, out var charset) && charset is not null && !IsUtf8(charset))
        {
            // RFC 8259 section 8.1: JSON exchanged between systems is UTF-8. An unknown charset would otherwise make
            // the JSON reader throw while looking the encoding up.
            await ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_charset",
                "JSON bodies must be UTF-8.", "Send Content-Type: application/json (UTF-8 is implied).").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="contentType"/> is JSON (<c>application/json</c> or <c>*/*+json</c>), with its charset if any.</summary>
    public static bool IsJson(string? contentType, out string? charset)
    {
        charset = null;
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        charset = media.Charset.HasValue ? media.Charset.Value.Trim('"') : null;
        return media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Makes every non-nullable constructor parameter of Skybridge's request records required when reading JSON
    /// (<c>RegisterAgentRequest.PublicKey</c>, <c>GrantRoleRequest.UserName</c>...), while nullable ones stay optional.
    /// System.Text.Json's own switch (<c>RespectRequiredConstructorParameters</c>) would also require the nullable ones.
    /// </summary>
    public static IJsonTypeInfoResolver RequireNonNullableMembers(IJsonTypeInfoResolver? inner) =>
        (inner ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(info =>
        {
            if (info.Kind != JsonTypeInfoKind.Object || info.Type.Namespace?.StartsWith("Skybridge.", StringComparison.Ordinal) != true)
            {
                return;
            }

            foreach (var property in info.Properties)
            {
                if (property.AssociatedParameter is { HasDefaultValue: false, IsNullable: false })
                {
                    property.IsRequired = true;
                }
            }
        });

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Maps the request-reading failures ASP.NET Core raises (<see cref="BadHttpRequestException"/>: a body that is not
/// JSON, not UTF-8, lacks a required member, or is too large) to problem details. Minimal APIs throw them because
/// <c>ThrowOnBadRequest</c> is on, so they all land here rather than as bare status codes.
/// </summary>
internal sealed class BadRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        var status = bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest;
        var aboutBody = bad.InnerException is JsonException || bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase);
        var (code, title) = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ("body_too_large", "The request body is too large."),
            StatusCodes.Status415UnsupportedMediaType => ("unsupported_media_type", "The request body has the wrong content type."),
            _ when aboutBody => ("malformed_body", "The request body could not be read."),
            _ => ("invalid_parameter", "A parameter of the request is missing or malformed."),
        };

        // The JSON reader's message names the member and position ("missing required properties including:
        // 'publicKey'", "Path: $.name") and never echoes the value; the binder's names the parameter and at most
        // echoes the caller's own value ("Failed to bind parameter "long index" from "abc"."), cut short.
        var detail = bad.InnerException is JsonException json ? json.Message : bad.Message;
        detail = detail.Length > 300 ? detail[..300] + "…" : detail;
        await ApiProblems.Problem(status, code, title, detail).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }
}
