using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Skybridge.Core.Identity;

using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Introspection;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Tokens.Revocation;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

/// <summary>The OAuth endpoints (RFC 8414 metadata, JWKS, token, introspection, revocation) and the agent API.</summary>
public static class OAuthEndpoints
{
    /// <summary>Largest form body the OAuth endpoints read: room for an assertion, a subject and an actor token.</summary>
    public const int MaxFormBytes = 32 * 1024;

    /// <summary>The authorization policy of agent APIs: a valid DPoP-bound token.</summary>
    public const string AgentPolicy = "skybridge-agent";

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapOAuthEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/.well-known/oauth-authorization-server", (IssuerUrls urls) => Json(200, Metadata(urls))).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/oauth/jwks", (TokenSigningKeys keys) =>
        {
            var list = new JsonArray();
            foreach (var key in keys.Published)
            {
                list.Add(JsonNode.Parse(key.PublicJwk));
            }

            return Results.Text(new JsonObject { ["keys"] = list }.ToJsonString(), "application/jwk-set+json");
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapPost("/oauth/token", async (HttpContext context, TokenIssuer tokens, IssuerUrls urls) =>
        {
            var (form, problem) = await ReadFormAsync(context).ConfigureAwait(false);
            var response = problem is not null
                ? await tokens.RefuseUnreadableAsync("token", problem, context.RequestAborted).ConfigureAwait(false)
                : await tokens.HandleAsync(new TokenRequest(form!, [.. context.Request.Headers["DPoP"].Select(v => v ?? "")], urls.RequestUri(context.Request.PathBase.Value + context.Request.Path.Value)), context.RequestAborted).ConfigureAwait(false);
            return Answer(context, response);
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapPost("/oauth/device_authorization", async (HttpContext context, DeviceAuthorizationService devices, TokenIssuer tokens, IssuerUrls urls) =>
        {
            var (form, problem) = await ReadFormAsync(context).ConfigureAwait(false);
            if (problem is not null)
            {
                return Answer(context, await tokens.RefuseUnreadableAsync("device_authorization", problem, context.RequestAborted).ConfigureAwait(false));
            }

            var (start, error) = await devices.StartAsync(form!.GetValueOrDefault("client_id"), form!.GetValueOrDefault("scope"), urls.Issuer, context.RequestAborted).ConfigureAwait(false);
            if (error is not null)
            {
                return Answer(context, TokenResponse.Refused(error, null));
            }

            return Answer(context, new TokenResponse(200, new JsonObject
            {
                ["device_code"] = start!.DeviceCode,
                ["user_code"] = start.UserCode,
                ["verification_uri"] = start.VerificationUri,
                ["verification_uri_complete"] = start.VerificationUriComplete,
                ["expires_in"] = start.ExpiresIn,
                ["interval"] = start.Interval,
            }, null));
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapPost("/oauth/introspect", async (HttpContext context, TokenIssuer tokens, TokenIntrospection introspection) =>
        {
            var (form, problem) = await ReadFormAsync(context).ConfigureAwait(false);
            var response = problem is not null
                ? await tokens.RefuseUnreadableAsync("introspection", problem, context.RequestAborted).ConfigureAwait(false)
                : await introspection.IntrospectAsync(form!, context.RequestAborted).ConfigureAwait(false);
            return Answer(context, response);
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapPost("/oauth/revoke", async (HttpContext context, TokenIssuer tokens, TokenRevocation revocation) =>
        {
            var (form, problem) = await ReadFormAsync(context).ConfigureAwait(false);
            var response = problem is not null
                ? await tokens.RefuseUnreadableAsync("revocation", problem, context.RequestAborted).ConfigureAwait(false)
                : await revocation.RevokeAsync(form!, context.RequestAborted).ConfigureAwait(false);
            return Answer(context, response);
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        var agent = app.MapGroup("/api/agent").RequireAuthorization(AgentPolicy).WithTags("Agents");
        agent.MapGet("/whoami", (HttpContext context) =>
        {
            var claims = (AccessTokenClaims)context.Items[typeof(AccessTokenClaims)]!;
            return Results.Json(new
            {
                subject = claims.Subject,
                clientId = claims.ClientId,
                workflow = claims.Workflow,
                role = claims.Role,
                scope = claims.Scope.ToString(),
                audience = claims.Audiences,
                expiresAt = claims.ExpiresAt,
                actors = claims.Actor?.Chain().ToList() ?? [],
            });
        }).WithSummary("The calling agent's identity, scope and actor chain (DPoP-bound token required).");

        agent.MapGet("/workflow", async (HttpContext context, Skybridge.Storage.IWorkflowStore store, IdentityState state) =>
        {
            var claims = (AccessTokenClaims)context.Items[typeof(AccessTokenClaims)]!;
            if (claims.Workflow is not { } id || await store.GetWorkflowAsync(id, context.RequestAborted).ConfigureAwait(false) is not { } workflow)
            {
                return Results.NotFound();
            }

            return Results.Json(new { id, workflow.ActiveVersion, workflow.AutonomyLevel, halted = state.Halt(id) is not null });
        }).RequireScope("cases:read").WithSummary("The state of the calling agent's workflow: active version, autonomy level (scope cases:read).");
        return app;
    }

    /// <summary>
    /// The endpoint needs <paramref name="scope"/> in the caller's token; without it the answer is 403 with
    /// <c>WWW-Authenticate: DPoP error="insufficient_scope", scope="..."</c> (RFC 6750 section 3.1).
    /// </summary>
    public static RouteHandlerBuilder RequireScope(this RouteHandlerBuilder endpoint, string scope)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.AddEndpointFilter(async (context, next) =>
        {
            var claims = context.HttpContext.Items[typeof(AccessTokenClaims)] as AccessTokenClaims;
            if (claims is null || !claims.Scope.Contains(scope))
            {
                context.HttpContext.Response.Headers.WWWAuthenticate = DPoPAuthenticationHandler.Challenge(
                    new OAuthError(OAuthError.InsufficientScope, $"This request needs the scope {scope}."), scope);
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            return await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>Authorization server metadata (RFC 8414 section 2), with the DPoP and token exchange parameters.</summary>
    public static JsonObject Metadata(IssuerUrls urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var algs = new JsonArray([.. Jose.AsymmetricAlgorithms.Select(a => (JsonNode)a)]);
        return new JsonObject
        {
            ["issuer"] = urls.Issuer,
            ["token_endpoint"] = urls.TokenEndpoint,
            ["jwks_uri"] = urls.Issuer + "/oauth/jwks",
            ["introspection_endpoint"] = urls.Issuer + "/oauth/introspect",
            ["revocation_endpoint"] = urls.Issuer + "/oauth/revoke",
            ["device_authorization_endpoint"] = urls.Issuer + "/oauth/device_authorization",
            ["grant_types_supported"] = new JsonArray(GrantTypes.ClientCredentials, GrantTypes.TokenExchange, GrantTypes.DeviceCode),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt", "none"),
            ["token_endpoint_auth_signing_alg_values_supported"] = algs.DeepClone(),
            ["introspection_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            ["revocation_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt", "none"),
            ["dpop_signing_alg_values_supported"] = algs,
            ["response_types_supported"] = new JsonArray(),
            ["scopes_supported"] = new JsonArray(),
            ["authorization_response_iss_parameter_supported"] = false,
        };
    }

    private static IResult Json(int status, JsonObject body) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);

    private static IResult Answer(HttpContext context, TokenResponse response)
    {
        // RFC 6749 section 5.1: token responses are never cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (response.Nonce is not null)
        {
            context.Response.Headers["DPoP-Nonce"] = response.Nonce;
        }

        return Json(response.Status, response.Body);
    }

    /// <summary>
    /// Reads an <c>application/x-www-form-urlencoded</c> body of at most <see cref="MaxFormBytes"/>. Parameters sent
    /// with an empty value count as absent (RFC 6749 section 3.1); a repeated parameter is an error (section 3.2).
    /// </summary>
    private static async Task<(Dictionary<string, string>? Form, string? Problem)> ReadFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "The body must be application/x-www-form-urlencoded.");
        }

        if (request.ContentLength > MaxFormBytes)
        {
            return (null, $"The body is larger than {MaxFormBytes} bytes.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }

        IFormCollection collection;
        try
        {
            collection = await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxFormBytes, KeyLengthLimit = 100, ValueCountLimit = 32 }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return (null, "The form body is malformed or too large.");
        }

        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in collection)
        {
            if (values.Count > 1)
            {
                return (null, $"Parameter '{Safe(key)}' is repeated.");
            }

            if (!StringValues.IsNullOrEmpty(values))
            {
                form[key] = values[0]!;
            }
        }

        return (form, null);
    }

    private static string Safe(string key) => key.Length <= 40 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : "(unprintable)";
}
