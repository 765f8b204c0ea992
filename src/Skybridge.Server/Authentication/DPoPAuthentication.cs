using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Telemetry;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Validation;

namespace Skybridge.Server.Authentication;

/// <summary>Options of the DPoP scheme (nothing to set: everything comes from the server options).</summary>
public sealed class DPoPAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// The resource side of RFC 9449 section 7: agent APIs accept only DPoP-bound access tokens of this server, for this
/// API's audience, each request with a fresh proof of the bound key. A token's signature and claims are checked
/// once and cached until it expires; revocation, halts and disabled agents are checked on every request (in memory).
/// Failures answer 401 with <c>WWW-Authenticate: DPoP error="..."</c> (RFC 6750 section 3) and go into the ledger.
/// </summary>
public sealed class DPoPAuthenticationHandler : AuthenticationHandler<DPoPAuthenticationOptions>
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "DPoP";

    /// <summary>Claim types of an agent principal.</summary>
    public const string ClientIdClaim = "client_id", ScopeClaim = "scope", WorkflowClaim = "workflow", RoleClaim = "role", ActClaim = "act", TokenIdClaim = "jti";

    private const string FailureKey = "skybridge.dpop.failure";

    private readonly TokenValidator _tokens;
    private readonly ServerNonces _nonces;
    private readonly IssuerUrls _urls;
    private readonly IReplayGuard _replay;
    private readonly ILedger _ledger;
    private readonly SkybridgeServerOptions _server;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, AccessTokenClaims> Validated;

    /// <summary>The handler of one request.</summary>
    public DPoPAuthenticationHandler(IOptionsMonitor<DPoPAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder,
        TokenValidator tokens, ServerNonces nonces, IssuerUrls urls, IReplayGuard replay, ILedger ledger, SkybridgeServerOptions server, TimeProvider time, ValidatedTokens validated)
        : base(options, logger, encoder)
    {
        _tokens = tokens;
        _nonces = nonces;
        _urls = urls;
        _replay = replay;
        _ledger = ledger;
        _server = server;
        _time = time;
        Validated = (validated ?? throw new ArgumentNullException(nameof(validated))).Cache;
    }

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var now = _time.GetUtcNow();
        var value = authorization.Count == 1 ? authorization[0] ?? "" : "";
        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 9449 section 7.2: a DPoP-bound token presented as a bearer token is refused, and every token here is bound.
            return await FailAsync(new OAuthError(OAuthError.InvalidToken, "Skybridge tokens are DPoP-bound: send Authorization: DPoP and a DPoP proof."), null).ConfigureAwait(false);
        }

        if (!value.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase) || value.Length <= 5)
        {
            return await FailAsync(new OAuthError(OAuthError.InvalidRequest, "Send exactly one Authorization: DPoP <access token>."), null).ConfigureAwait(false);
        }

        var claims = Validate(value.AsSpan(5).Trim(), now, out var token, out var tokenError);
        if (claims is null)
        {
            return await FailAsync(tokenError!, null).ConfigureAwait(false);
        }

        var proofs = Request.Headers["DPoP"];
        if (proofs.Count != 1)
        {
            return await FailAsync(new OAuthError(OAuthError.InvalidDPoPProof, proofs.Count == 0 ? "A DPoP proof is required with a DPoP-bound token." : "Exactly one DPoP header is allowed."), claims).ConfigureAwait(false);
        }

        var check = DPoPProofValidator.Validate(proofs[0], new DPoPProofExpectation
        {
            Method = Request.Method,
            Uri = _urls.RequestUri(Request.PathBase.Value + Request.Path.Value),
            AccessToken = token,
            BoundKeyThumbprint = claims.KeyThumbprint,
            NonceIsCurrent = _server.RequireNonceOnResources ? _nonces.IsCurrent : null,
        }, now, _server.Identity);
        if (!check.IsValid)
        {
            return await FailAsync(check.Error!, claims).ConfigureAwait(false);
        }

        if (!await _replay.TryUseOnceAsync(check.Proof!.ReplayKey, check.Proof.KeepUntil, Context.RequestAborted).ConfigureAwait(false))
        {
            return await FailAsync(new OAuthError(OAuthError.InvalidDPoPProof, "The DPoP proof was already used (jti replay)."), claims).ConfigureAwait(false);
        }

        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.NameIdentifier, RoleClaim);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, claims.Subject));
        if (claims.IsPersonToken)
        {
            // A person's own token (the CLI after skybridge login): the people API treats it as that person, with
            // their roles. An agent's token, or one an agent holds for a person, never is.
            identity.AddClaim(new Claim(ClaimTypes.Name, claims.SubjectOf.Name));
        }
        identity.AddClaim(new Claim(ClientIdClaim, claims.ClientId));
        identity.AddClaim(new Claim(ScopeClaim, claims.Scope.ToString()));
        identity.AddClaim(new Claim(TokenIdClaim, claims.TokenId));
        if (claims.Workflow is not null)
        {
            identity.AddClaim(new Claim(WorkflowClaim, claims.Workflow));
        }

        if (claims.Role is not null)
        {
            identity.AddClaim(new Claim(RoleClaim, claims.Role));
        }

        if (claims.Actor is not null)
        {
            identity.AddClaim(new Claim(ActClaim, string.Join(' ', claims.Actor.Chain())));
        }

        Context.Items[typeof(AccessTokenClaims)] = claims;
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AccessTokenClaims? Validate(ReadOnlySpan<char> presented, DateTimeOffset now, out string token, out OAuthError? error)
    {
        error = null;
        // Looked up by the header's characters: a token seen before is not copied out of the header again (it is the
        // largest string of an agent request); the cache's own copy is used from here on.
        if (!Validated.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(presented, out var known, out var claims))
        {
            token = presented.ToString();
            var check = _tokens.CheckIssued(token, now, _urls.ApiResource);
            if (!check.IsValid)
            {
                error = check.Error;
                return null;
            }

            claims = check.Claims!;
            if (Validated.Count > 50_000)
            {
                Sweep(now);
            }

            Validated[token] = claims;
            return claims;
        }

        token = known;

        // Cached: the signature held. Time and state can change between requests, so they are checked every time.
        if (claims.ExpiresAt + _server.Identity.ClockSkew <= now || !string.Equals(claims.Issuer, _urls.Issuer, StringComparison.Ordinal))
        {
            Validated.TryRemove(token, out _);
            error = new OAuthError(OAuthError.InvalidToken, "The access token has expired.");
            return null;
        }

        var recheck = _tokens.CheckState(claims);
        if (recheck is not null)
        {
            error = recheck;
            return null;
        }

        return claims;
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, value) in Validated)
        {
            if (value.ExpiresAt + _server.Identity.ClockSkew <= now)
            {
                Validated.TryRemove(key, out _);
            }
        }

        if (Validated.Count > 50_000)
        {
            Validated.Clear();
        }
    }

    private async Task<AuthenticateResult> FailAsync(OAuthError error, AccessTokenClaims? claims)
    {
        Context.Items[FailureKey] = error;
        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.TokenRejected,
            Actors = [LedgerActor.Agent(claims?.ClientId ?? "unauthenticated")],
            WorkflowId = claims?.Workflow,
            Resource = new LedgerResource("endpoint", Request.Method + " " + Request.Path.Value),
            Outcome = error.Code,
            Content = new JsonObject { ["reason"] = error.Description, ["token_id"] = claims?.TokenId },
        }, Context.RequestAborted).ConfigureAwait(false);
        return AuthenticateResult.Fail(error.Description);
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var error = Context.Items.TryGetValue(FailureKey, out var found) ? found as OAuthError : null;
        Response.StatusCode = error?.Code == OAuthError.InvalidRequest ? StatusCodes.Status400BadRequest : StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Challenge(error, null);
        if (error?.Code == OAuthError.UseDPoPNonce || _server.RequireNonceOnResources)
        {
            Response.Headers["DPoP-Nonce"] = _nonces.Current;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var scope = properties?.Items.TryGetValue("scope", out var s) == true ? s : null;
        Response.Headers.WWWAuthenticate = Challenge(new OAuthError(OAuthError.InsufficientScope, "The access token lacks the scope this request needs."), scope);
        return Task.CompletedTask;
    }

    /// <summary>The <c>WWW-Authenticate</c> value (RFC 9449 section 7.1, RFC 6750 section 3).</summary>
    public static string Challenge(OAuthError? error, string? scope)
    {
        var parts = new List<string>();
        if (error is not null)
        {
            parts.Add($"error=\"{error.Code}\"");
            parts.Add($"error_description=\"{Quote(error.Description)}\"");
        }

        if (scope is not null)
        {
            parts.Add($"scope=\"{Quote(scope)}\"");
        }

        parts.Add($"algs=\"{string.Join(' ', Jose.AsymmetricAlgorithms)}\"");
        return "DPoP " + string.Join(", ", parts);
    }

    private static string Quote(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>Access tokens whose signature and claims were checked, by token, until they expire (one per node).</summary>
public sealed class ValidatedTokens
{
    internal ConcurrentDictionary<string, AccessTokenClaims> Cache { get; } = new(StringComparer.Ordinal);
}
