using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Access;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens;

/// <summary>A token endpoint request as read off the wire: the form (each parameter once) and the DPoP header values.</summary>
/// <param name="Form">Form parameters; a repeated parameter was already refused.</param>
/// <param name="DPoPHeaders">Every <c>DPoP</c> header value sent (exactly one is required).</param>
/// <param name="Uri">The endpoint URI as the client names it (public URL + path).</param>
public sealed record TokenRequest(IReadOnlyDictionary<string, string> Form, IReadOnlyList<string> DPoPHeaders, Uri Uri);

/// <summary>What the endpoint answers: status, JSON body, and the nonce to send along (always a fresh one).</summary>
public sealed record TokenResponse(int Status, JsonObject Body, string? Nonce);

/// <summary>
/// The OAuth 2.0 token service for agents: <c>client_credentials</c> with <c>private_key_jwt</c> (RFC 7523), token
/// exchange (RFC 8693), every token bound to a DPoP key (RFC 9449) and restricted to one audience (RFC 8707).
/// Every issuance, exchange and refusal goes into the ledger, never a token or an assertion.
/// </summary>
public sealed class TokenService
{
    /// <summary>The grant types served.</summary>
    public const string ClientCredentials = "client_credentials";

    /// <summary>RFC 8693 grant type.</summary>
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>RFC 8628 grant type (the CLI signing a person in).</summary>
    public const string DeviceCode = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8693 token type of access tokens.</summary>
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>RFC 8693 token type of JWTs (accepted for subject and actor tokens: ours are JWTs).</summary>
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

    private readonly IdentityState _state;
    private readonly TokenSigningKeys _keys;
    private readonly IReplayGuard _replay;
    private readonly DPoPNonces _nonces;
    private readonly IssuerUrls _urls;
    private readonly ILedger _ledger;
    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;
    private readonly IdentitySettings _settings;
    private readonly DeviceAuthorizationService _devices;

    /// <summary>The service of one node.</summary>
    public TokenService(IdentityState state, TokenSigningKeys keys, IReplayGuard replay, DPoPNonces nonces, IssuerUrls urls, ILedger ledger, ISkybridgeStore store, TimeProvider time, SkybridgeNodeOptions options, DeviceAuthorizationService devices)
    {
        _devices = devices;
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _keys = keys;
        _replay = replay;
        _nonces = nonces;
        _urls = urls;
        _ledger = ledger;
        _store = store;
        _time = time;
        _settings = options.Identity;
    }

    /// <summary>The node's current DPoP nonce.</summary>
    public string CurrentNonce => _nonces.Current(_time.GetUtcNow());

    /// <summary>True when <paramref name="nonce"/> is one this server handed out recently.</summary>
    public bool IsCurrentNonce(string? nonce) => _nonces.IsCurrent(nonce, _time.GetUtcNow());

    /// <summary>Handles one token request.</summary>
    public async Task<TokenResponse> HandleAsync(TokenRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grantType = request.Form.GetValueOrDefault("grant_type");
        var outcome = grantType switch
        {
            null or "" => Outcome.Refuse(OAuthError.InvalidRequest, "grant_type is missing."),
            ClientCredentials or TokenExchange or DeviceCode => await GrantAsync(grantType, request, cancellationToken).ConfigureAwait(false),
            _ => Outcome.Refuse(OAuthError.UnsupportedGrantType, "Supported grant types: client_credentials, " + TokenExchange + ", " + DeviceCode + "."),
        };

        if (outcome.Error is { } error)
        {
            // A CLI waiting for its person polls every few seconds: that is the protocol working, not a refusal.
            if (error.Code is not (OAuthError.AuthorizationPending or OAuthError.SlowDown))
            {
                await RecordRefusalAsync(grantType, outcome, cancellationToken).ConfigureAwait(false);
            }

            var status = error.Code == OAuthError.InvalidClient ? 401 : 400;
            return new TokenResponse(status, ErrorBody(error), CurrentNonce);
        }

        return new TokenResponse(200, outcome.Body!, CurrentNonce);
    }

    /// <summary>Refuses a request that could not even be read (oversized, wrong content type, repeated parameters).</summary>
    public async Task<TokenResponse> RefuseUnreadableAsync(string endpoint, string description, CancellationToken cancellationToken)
    {
        var refusal = Outcome.Refuse(OAuthError.InvalidRequest, description);
        await RecordRefusalAsync(endpoint, refusal, cancellationToken).ConfigureAwait(false);
        return new TokenResponse(400, ErrorBody(refusal.Error!), CurrentNonce);
    }

    /// <summary>
    /// Token introspection (RFC 7662) for an agent authenticated with <c>private_key_jwt</c>. An agent learns about
    /// tokens of its own workflow only; anything else, and every invalid token, is just <c>{"active": false}</c>.
    /// </summary>
    public async Task<TokenResponse> IntrospectAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var now = _time.GetUtcNow();
        var client = await AuthenticateOnceAsync(form, now, cancellationToken).ConfigureAwait(false);
        if (client.Error is not null)
        {
            await RecordRefusalAsync("introspection", client, cancellationToken).ConfigureAwait(false);
            return new TokenResponse(401, ErrorBody(client.Error), null);
        }

        if (!form.TryGetValue("token", out var token))
        {
            return new TokenResponse(400, ErrorBody(new OAuthError(OAuthError.InvalidRequest, "token is required.")), null);
        }

        var check = CheckIssued(token, now);
        if (!check.IsValid || check.Claims!.Workflow != client.Workflow)
        {
            return new TokenResponse(200, new JsonObject { ["active"] = false }, null);
        }

        var c = check.Claims;
        var body = new JsonObject
        {
            ["active"] = true,
            ["scope"] = c.Scope.ToString(),
            ["client_id"] = c.ClientId,
            ["token_type"] = "DPoP",
            ["exp"] = c.ExpiresAt.ToUnixTimeSeconds(),
            ["iat"] = c.IssuedAt.ToUnixTimeSeconds(),
            ["nbf"] = c.IssuedAt.ToUnixTimeSeconds(),
            ["sub"] = c.Subject,
            ["aud"] = c.Audiences.Count == 1 ? c.Audiences[0] : new JsonArray([.. c.Audiences.Select(a => (JsonNode)a)]),
            ["iss"] = c.Issuer,
            ["jti"] = c.TokenId,
            ["cnf"] = new JsonObject { ["jkt"] = c.KeyThumbprint },
            ["workflow"] = c.Workflow,
            ["role"] = c.Role,
        };
        if (c.Actor is not null)
        {
            body["act"] = ActJson(c.Actor);
        }

        return new TokenResponse(200, body, null);
    }

    private static JsonObject ActJson(ActorClaim actor)
    {
        var node = new JsonObject { ["sub"] = actor.Subject };
        if (actor.Actor is not null)
        {
            node["act"] = ActJson(actor.Actor);
        }

        return node;
    }

    /// <summary>
    /// Token revocation (RFC 7009): an agent revokes a token issued to it (or one it acts in). The answer is 200
    /// whether or not the token was valid, so that revocation tells an attacker nothing.
    /// </summary>
    public async Task<TokenResponse> RevokeAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var now = _time.GetUtcNow();
        var client = await AuthenticateOnceAsync(form, now, cancellationToken).ConfigureAwait(false);
        if (client.Error is not null)
        {
            await RecordRefusalAsync("revocation", client, cancellationToken).ConfigureAwait(false);
            return new TokenResponse(401, ErrorBody(client.Error), null);
        }

        if (!form.TryGetValue("token", out var token))
        {
            return new TokenResponse(400, ErrorBody(new OAuthError(OAuthError.InvalidRequest, "token is required.")), null);
        }

        // Signature and issuer must hold; an expired token needs no revoking.
        var check = AccessTokens.Validate(token, _keys.Find, _urls.Issuer, null, now, _settings);
        if (check.IsValid && (check.Claims!.ClientId == client.ClientId || check.Claims.Actor?.Chain().Contains(client.ClientId) == true))
        {
            await RevokeTokenAsync(check.Claims, LedgerActor.Agent(client.ClientId!), "revoked by its client", cancellationToken).ConfigureAwait(false);
        }

        return new TokenResponse(200, new JsonObject(), null);
    }

    /// <summary>Records a token as revoked (by id), applies it on this node at once, and writes it to the ledger.</summary>
    public async Task RevokeTokenAsync(AccessTokenClaims claims, LedgerActor by, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var added = await _store.RevokeTokenAsync(new RevokedToken(claims.TokenId, claims.ClientId, claims.ExpiresAt, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (added)
        {
            await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.TokenRevoked,
                Actors = [by],
                WorkflowId = claims.Workflow,
                Resource = new LedgerResource("access_token", claims.TokenId),
                Outcome = "revoked",
                Content = new JsonObject { ["client_id"] = claims.ClientId, ["reason"] = reason },
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Outcome> AuthenticateOnceAsync(IReadOnlyDictionary<string, string> form, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var client = Authenticate(form, now, out var error);
        if (client is null)
        {
            return error!;
        }

        var (agent, assertion) = client.Value;
        return await _replay.TryUseOnceAsync(assertion.ReplayKey, assertion.KeepUntil, cancellationToken).ConfigureAwait(false)
            ? new Outcome(null, null, agent.ClientId, agent.WorkflowId)
            : Outcome.Refuse(OAuthError.InvalidClient, "The client assertion was already used (jti replay).", agent.ClientId, agent.WorkflowId);
    }

    /// <summary>An RFC 6749 section 5.2 error body.</summary>
    public static JsonObject ErrorBody(OAuthError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new JsonObject { ["error"] = error.Code, ["error_description"] = error.Description };
    }

    /// <summary>A refusal (error set) or a token to sign (claims set), with what the ledger should know either way.</summary>
    private sealed record Outcome(OAuthError? Error, JsonObject? Body, string? ClientId = null, string? Workflow = null, string? KeyThumbprint = null)
    {
        public AccessTokenClaims? Claims { get; init; }

        public string? SubjectTokenId { get; init; }

        public static Outcome Refuse(string code, string description, string? clientId = null, string? workflow = null) =>
            new(new OAuthError(code, description), null, clientId, workflow);
    }

    private async Task<Outcome> GrantAsync(string grantType, TokenRequest request, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();

        // RFC 9449 section 4.3 step 1: exactly one DPoP header. Every token Skybridge issues is key-bound.
        if (request.DPoPHeaders.Count != 1)
        {
            return Outcome.Refuse(OAuthError.InvalidDPoPProof, request.DPoPHeaders.Count == 0
                ? "A DPoP proof is required: Skybridge issues only key-bound tokens."
                : "Exactly one DPoP header is allowed.");
        }

        var proofCheck = DPoPProofValidator.Validate(request.DPoPHeaders[0], new DPoPProofExpectation
        {
            Method = "POST",
            Uri = request.Uri,
            NonceIsCurrent = nonce => _nonces.IsCurrent(nonce, now),
        }, now, _settings);
        if (!proofCheck.IsValid)
        {
            return new Outcome(proofCheck.Error, null);
        }

        var proof = proofCheck.Proof!;
        if (grantType == DeviceCode)
        {
            return await DevicePollAsync(request.Form, proof, now, cancellationToken).ConfigureAwait(false);
        }

        // private_key_jwt client authentication (RFC 7523 section 2.2).
        var client = Authenticate(request.Form, now, out var clientError);
        if (client is null)
        {
            return clientError! with { KeyThumbprint = proof.KeyThumbprint };
        }

        var (agent, assertion) = client.Value;
        var result = grantType == ClientCredentials
            ? IssueForClient(agent, request.Form, proof, now)
            : await ExchangeAsync(agent, request.Form, proof, now, cancellationToken).ConfigureAwait(false);
        if (result.Error is not null)
        {
            return result;
        }

        // Replays last, once everything else holds: a request refused for another reason consumes nothing.
        if (!await _replay.TryUseOnceAsync(assertion.ReplayKey, assertion.KeepUntil, cancellationToken).ConfigureAwait(false))
        {
            return Outcome.Refuse(OAuthError.InvalidClient, "The client assertion was already used (jti replay).", agent.ClientId, agent.WorkflowId);
        }

        if (!await _replay.TryUseOnceAsync(proof.ReplayKey, proof.KeepUntil, cancellationToken).ConfigureAwait(false))
        {
            return Outcome.Refuse(OAuthError.InvalidDPoPProof, "The DPoP proof was already used (jti replay).", agent.ClientId, agent.WorkflowId);
        }

        return await SignAsync(result, grantType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The CLI polling for a person's token (RFC 8628 section 3.4). A public client: no assertion, but the DPoP proof
    /// binds the person's token to the key the CLI holds.
    /// </summary>
    private async Task<Outcome> DevicePollAsync(IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (form.GetValueOrDefault("client_id") != DeviceAuthorizationService.CliClientId || !form.TryGetValue("device_code", out var deviceCode))
        {
            return Outcome.Refuse(OAuthError.InvalidRequest, "client_id skybridge-cli and device_code are required.");
        }

        // The proof first: a replayed proof must not use up the person's approval, which is handed out only once.
        if (!await _replay.TryUseOnceAsync(proof.ReplayKey, proof.KeepUntil, cancellationToken).ConfigureAwait(false))
        {
            return Outcome.Refuse(OAuthError.InvalidDPoPProof, "The DPoP proof was already used (jti replay).");
        }

        var result = await _devices.RedeemAsync(deviceCode, DeviceAuthorizationService.CliClientId, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case DeviceRedeemStatus.Pending: return Outcome.Refuse(OAuthError.AuthorizationPending, "Nobody has approved the code yet.");
            case DeviceRedeemStatus.SlowDown: return Outcome.Refuse(OAuthError.SlowDown, "Polling faster than the interval; wait 5 seconds more between polls.");
            case DeviceRedeemStatus.Denied: return Outcome.Refuse(OAuthError.AccessDenied, "The person denied the request.");
            case DeviceRedeemStatus.Expired: return Outcome.Refuse(OAuthError.ExpiredToken, "The device code expired; start again.");
            case DeviceRedeemStatus.Invalid: return Outcome.Refuse(OAuthError.InvalidGrant, "Unknown or already used device code.");
        }

        ScopeSet.TryParse(result.Scope, out var requested);
        var scope = requested.IsEmpty ? await _devices.PersonScopesAsync(result.UserName!, cancellationToken).ConfigureAwait(false) : requested;
        var claims = new AccessTokenClaims
        {
            Issuer = _urls.Issuer,
            Subject = "user:" + result.UserName,
            Audiences = [_urls.ApiResource],
            ClientId = DeviceAuthorizationService.CliClientId,
            Scope = scope,
            IssuedAt = now,
            ExpiresAt = now + _settings.PersonTokenLifetime,
            TokenId = NewTokenId(),
            KeyThumbprint = proof.KeyThumbprint,
        };
        return await SignAsync(new Outcome(null, new JsonObject(), DeviceAuthorizationService.CliClientId, null, proof.KeyThumbprint) { Claims = claims }, DeviceCode, cancellationToken).ConfigureAwait(false);
    }

    private (StoredAgent Agent, ClientAssertion Assertion)? Authenticate(IReadOnlyDictionary<string, string> form, DateTimeOffset now, out Outcome? error)
    {
        error = null;
        var type = form.GetValueOrDefault("client_assertion_type");
        if (type != ClientAssertionValidator.AssertionType || !form.ContainsKey("client_assertion"))
        {
            error = Outcome.Refuse(OAuthError.InvalidClient, "Agents authenticate with private_key_jwt: client_assertion_type " + ClientAssertionValidator.AssertionType + " and client_assertion.");
            return null;
        }

        var clientId = ClientAssertionValidator.ReadClientId(form["client_assertion"], _settings, out var jwt, out var readError);
        if (clientId is null)
        {
            error = new Outcome(readError, null);
            return null;
        }

        if (form.TryGetValue("client_id", out var named) && !string.Equals(named, clientId, StringComparison.Ordinal))
        {
            error = Outcome.Refuse(OAuthError.InvalidClient, "client_id does not match the client assertion.");
            return null;
        }

        var agent = _state.Agent(clientId);
        if (agent is null)
        {
            error = Outcome.Refuse(OAuthError.InvalidClient, "Unknown client.");
            return null;
        }

        var keys = agent.Keys.Select(k => new JsonWebKey(k.PublicJwk)).ToList();
        var check = ClientAssertionValidator.Validate(jwt!, clientId, keys, _urls.AssertionAudiences, now, _settings);
        if (!check.IsValid)
        {
            error = new Outcome(check.Error, null, clientId, agent.WorkflowId);
            return null;
        }

        if (agent.Status != AgentStatuses.Active)
        {
            error = Outcome.Refuse(OAuthError.InvalidClient, "The agent is disabled.", clientId, agent.WorkflowId);
            return null;
        }

        return (agent, check.Assertion!);
    }

    private Outcome? Runnable(StoredAgent agent, out Core.Manifests.AgentRole? role)
    {
        role = null;
        if (_state.Halt(agent.WorkflowId) is { } halt)
        {
            return Outcome.Refuse(OAuthError.UnauthorizedClient, $"Workflow {agent.WorkflowId} is halted ({halt.Reason}); no tokens are issued for it.", agent.ClientId, agent.WorkflowId);
        }

        role = _state.Role(agent.WorkflowId, agent.Role);
        return role is null
            ? Outcome.Refuse(OAuthError.UnauthorizedClient, $"Role '{agent.Role}' is not in the active manifest of {agent.WorkflowId}.", agent.ClientId, agent.WorkflowId)
            : null;
    }

    private Outcome IssueForClient(StoredAgent agent, IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now)
    {
        if (Runnable(agent, out var role) is { } refused)
        {
            return refused;
        }

        var roleScopes = ScopeSet.Of(role!.Scopes);
        if (!ScopeSet.TryParse(form.GetValueOrDefault("scope"), out var requested))
        {
            return Outcome.Refuse(OAuthError.InvalidScope, "The scope parameter is malformed.", agent.ClientId, agent.WorkflowId);
        }

        var beyond = requested.Except(roleScopes);
        if (!beyond.IsEmpty)
        {
            return Outcome.Refuse(OAuthError.InvalidScope, $"'{beyond}' is beyond role '{agent.Role}' (allowed: {roleScopes}).", agent.ClientId, agent.WorkflowId);
        }

        var scope = requested.IsEmpty ? roleScopes : requested;
        if (scope.IsEmpty)
        {
            return Outcome.Refuse(OAuthError.InvalidScope, $"Role '{agent.Role}' has no scopes.", agent.ClientId, agent.WorkflowId);
        }

        if (Audience(form, _urls.Resources, out var audError) is not { } audience)
        {
            return audError! with { ClientId = agent.ClientId, Workflow = agent.WorkflowId };
        }

        var claims = new AccessTokenClaims
        {
            Issuer = _urls.Issuer,
            Subject = agent.ClientId,
            Audiences = [audience],
            ClientId = agent.ClientId,
            Scope = scope,
            IssuedAt = now,
            ExpiresAt = now + _settings.AgentTokenLifetime,
            TokenId = NewTokenId(),
            KeyThumbprint = proof.KeyThumbprint,
            Workflow = agent.WorkflowId,
            Role = agent.Role,
        };
        return new Outcome(null, new JsonObject(), agent.ClientId, agent.WorkflowId, proof.KeyThumbprint) { Claims = claims };
    }

    private static string? Audience(IReadOnlyDictionary<string, string> form, IReadOnlyList<string> allowed, out Outcome? error)
    {
        error = null;
        if (!form.TryGetValue("resource", out var resource))
        {
            return allowed[0];
        }

        // RFC 8707 section 2: an absolute URI without a fragment, and one this server issues tokens for.
        if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0)
        {
            error = Outcome.Refuse(OAuthError.InvalidTarget, "resource must be an absolute URI without a fragment.");
            return null;
        }

        if (!allowed.Contains(resource, StringComparer.Ordinal))
        {
            error = Outcome.Refuse(OAuthError.InvalidTarget, "Tokens are issued for these resources only: " + string.Join(", ", allowed) + ".");
            return null;
        }

        return resource;
    }

    private async Task<Outcome> ExchangeAsync(StoredAgent agent, IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Runnable(agent, out var role) is { } refused)
        {
            return refused;
        }

        if (form.GetValueOrDefault("requested_token_type") is { } wanted && wanted != AccessTokenType)
        {
            return Outcome.Refuse(OAuthError.InvalidRequest, "Only access tokens are issued (requested_token_type " + AccessTokenType + ").", agent.ClientId, agent.WorkflowId);
        }

        if (!form.TryGetValue("subject_token", out var subjectToken) || form.GetValueOrDefault("subject_token_type") is not (AccessTokenType or JwtTokenType))
        {
            return Outcome.Refuse(OAuthError.InvalidRequest, "subject_token and subject_token_type (" + AccessTokenType + ") are required.", agent.ClientId, agent.WorkflowId);
        }

        var subject = CheckIssued(subjectToken, now);
        if (subject.Error is not null)
        {
            return Outcome.Refuse(OAuthError.InvalidGrant, "The subject token is refused: " + subject.Error.Description, agent.ClientId, agent.WorkflowId);
        }

        if (form.TryGetValue("actor_token", out var actorToken))
        {
            if (form.GetValueOrDefault("actor_token_type") is not (AccessTokenType or JwtTokenType))
            {
                return Outcome.Refuse(OAuthError.InvalidRequest, "actor_token_type (" + AccessTokenType + ") is required with actor_token.", agent.ClientId, agent.WorkflowId);
            }

            // The actor token says who acts; it must be this client's own, undelegated token.
            var actor = CheckIssued(actorToken, now);
            if (actor.Error is not null || actor.Claims!.ClientId != agent.ClientId || actor.Claims.Actor is not null)
            {
                return Outcome.Refuse(OAuthError.InvalidGrant, "The actor token is not a valid token of this client.", agent.ClientId, agent.WorkflowId);
            }
        }
        else if (form.ContainsKey("actor_token_type"))
        {
            return Outcome.Refuse(OAuthError.InvalidRequest, "actor_token_type without actor_token.", agent.ClientId, agent.WorkflowId);
        }

        if (!ScopeSet.TryParse(form.GetValueOrDefault("scope"), out var requested))
        {
            return Outcome.Refuse(OAuthError.InvalidScope, "The scope parameter is malformed.", agent.ClientId, agent.WorkflowId);
        }

        var claims = subject.Claims!;
        // An agent acting for any person (acts_for user:*) works for people who may submit cases on its workflow.
        var personHoldsRole = false;
        if (claims.Subject.StartsWith("user:", StringComparison.Ordinal) && claims.Actor is null)
        {
            var grants = await _store.ListRoleGrantsForUserAsync(claims.Subject["user:".Length..], cancellationToken).ConfigureAwait(false);
            personHoldsRole = AccessRules.IsAllowed(AccountService.RolesOf(grants), Permission.SubmitCase, agent.WorkflowId);
        }

        var decision = TokenExchangePolicy.Decide(claims, new ActingAgent(agent.ClientId, agent.WorkflowId, role!), personHoldsRole,
            requested, form.GetValueOrDefault("resource"), now, _settings);
        if (!decision.IsAllowed)
        {
            return new Outcome(decision.Error, null, agent.ClientId, agent.WorkflowId, proof.KeyThumbprint);
        }

        var token = decision.Token! with { Issuer = _urls.Issuer, TokenId = NewTokenId(), KeyThumbprint = proof.KeyThumbprint };
        return new Outcome(null, new JsonObject(), agent.ClientId, agent.WorkflowId, proof.KeyThumbprint) { Claims = token, SubjectTokenId = claims.TokenId };
    }

    /// <summary>
    /// A token this server issued and that still counts: signature, issuer, lifetime, not revoked, its workflow not
    /// halted, its agents (client and every actor) still active.
    /// </summary>
    public AccessTokenCheck CheckIssued(string token, DateTimeOffset now, string? audience = null)
    {
        var check = AccessTokens.Validate(token, _keys.Find, _urls.Issuer, audience, now, _settings);
        if (!check.IsValid)
        {
            return check;
        }

        var problem = CheckState(check.Claims!);
        return problem is null ? check : new AccessTokenCheck(null, problem);
    }

    /// <summary>The state checks of a token whose signature held: revoked, halted, a disabled agent. Null when it still counts.</summary>
    public OAuthError? CheckState(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (_state.IsRevoked(claims.TokenId))
        {
            return new OAuthError(OAuthError.InvalidToken, "The access token was revoked.");
        }

        if (claims.Workflow is { } workflow && _state.Halt(workflow) is not null)
        {
            return new OAuthError(OAuthError.InvalidToken, $"Workflow {workflow} is halted.");
        }

        if (IsDisabled(claims.ClientId) is { } disabled)
        {
            return disabled;
        }

        for (var actor = claims.Actor; actor is not null; actor = actor.Actor)
        {
            if (IsDisabled(actor.Subject) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private OAuthError? IsDisabled(string clientId) =>
        _state.Agent(clientId) is { } agent && agent.Status != AgentStatuses.Active
            ? new OAuthError(OAuthError.InvalidToken, $"Agent {clientId} is disabled.")
            : null;

    private static string NewTokenId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18));

    private async Task<Outcome> SignAsync(Outcome result, string grantType, CancellationToken cancellationToken)
    {
        var claims = result.Claims!;
        var token = AccessTokens.Create(claims, _keys.Current);
        var exchange = grantType == TokenExchange;
        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = exchange ? LedgerEventTypes.TokenExchanged : LedgerEventTypes.TokenIssued,
            Actors = Actors(claims),
            WorkflowId = claims.Workflow,
            Resource = new LedgerResource("access_token", claims.TokenId),
            Outcome = "issued",
            Content = new JsonObject
            {
                ["grant_type"] = grantType,
                ["client_id"] = claims.ClientId,
                ["sub"] = claims.Subject,
                ["scope"] = claims.Scope.ToString(),
                ["aud"] = string.Join(' ', claims.Audiences),
                ["exp"] = LedgerEventFormat.FormatTime(claims.ExpiresAt),
                ["jkt"] = claims.KeyThumbprint,
                ["act"] = claims.Actor is null ? null : string.Join(" <- ", claims.Actor.Chain()),
                ["subject_token_id"] = result.SubjectTokenId,
            },
        }, cancellationToken).ConfigureAwait(false);

        var body = new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "DPoP",
            ["expires_in"] = (long)Math.Round((claims.ExpiresAt - claims.IssuedAt).TotalSeconds),
            ["scope"] = claims.Scope.ToString(),
        };
        if (exchange)
        {
            body["issued_token_type"] = AccessTokenType;
        }

        return result with { Body = body };
    }

    /// <summary>
    /// Who acts with a token, as the ledger names them: the current actor first (a sub-agent when delegated), then
    /// earlier actors, then the subject (a person or the agent itself).
    /// </summary>
    public static List<LedgerActor> Actors(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var actors = new List<LedgerActor>();
        if (claims.Actor is not null)
        {
            var chain = claims.Actor.Chain().ToList();
            actors.Add(LedgerActor.SubAgent(chain[0]));
            actors.AddRange(chain.Skip(1).Select(LedgerActor.Agent));
        }

        actors.Add(claims.Subject.StartsWith("user:", StringComparison.Ordinal) ? LedgerActor.Human(claims.Subject["user:".Length..]) : LedgerActor.Agent(claims.Subject));
        return actors;
    }

    private Task RecordRefusalAsync(string? grantType, Outcome refusal, CancellationToken cancellationToken) =>
        _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.TokenRefused,
            Actors = [LedgerActor.Agent(refusal.ClientId ?? "unauthenticated")],
            WorkflowId = refusal.Workflow,
            Outcome = refusal.Error!.Code,
            Content = new JsonObject
            {
                ["grant_type"] = grantType is { Length: <= 100 } ? grantType : null,
                ["reason"] = refusal.Error.Description,
                ["jkt"] = refusal.KeyThumbprint,
            },
        }, cancellationToken);
}
