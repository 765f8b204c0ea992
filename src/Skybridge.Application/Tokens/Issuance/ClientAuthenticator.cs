using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>An agent that proved who it is: the agent and its assertion (whose <c>jti</c> is not used up yet).</summary>
internal sealed record AuthenticatedClient(StoredAgent Agent, ClientAssertion Assertion);

/// <summary>
/// <c>private_key_jwt</c> client authentication (RFC 7523 section 2.2) of agents at the token, introspection and
/// revocation endpoints, against the node's in-memory agents and keys.
/// </summary>
internal sealed class ClientAuthenticator
{
    private readonly IdentityState _state;
    private readonly IReplayGuard _replay;
    private readonly IssuerUrls _urls;
    private readonly IdentitySettings _settings;

    public ClientAuthenticator(IdentityState state, IReplayGuard replay, IssuerUrls urls, SkybridgeNodeOptions options)
    {
        _state = state;
        _replay = replay;
        _urls = urls;
        _settings = options.Identity;
    }

    /// <summary>True when the form carries a client assertion (else the client may be a public one).</summary>
    public static bool HasAssertion(IReadOnlyDictionary<string, string> form) =>
        form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type");

    /// <summary>Checks the assertion; its <c>jti</c> is left for the caller to use up once everything else holds.</summary>
    public AuthenticatedClient? Authenticate(IReadOnlyDictionary<string, string> form, DateTimeOffset now, out TokenRefusal? refusal)
    {
        refusal = null;
        var type = form.GetValueOrDefault("client_assertion_type");
        if (type != ClientAssertionValidator.AssertionType || !form.ContainsKey("client_assertion"))
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidClient, "Agents authenticate with private_key_jwt: client_assertion_type " + ClientAssertionValidator.AssertionType + " and client_assertion.");
            return null;
        }

        var clientId = ClientAssertionValidator.ReadClientId(form["client_assertion"], _settings, out var jwt, out var readError);
        if (clientId is null)
        {
            refusal = new TokenRefusal(readError!);
            return null;
        }

        if (form.TryGetValue("client_id", out var named) && !string.Equals(named, clientId, StringComparison.Ordinal))
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidClient, "client_id does not match the client assertion.");
            return null;
        }

        var agent = _state.Agent(clientId);
        if (agent is null)
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidClient, "Unknown client.");
            return null;
        }

        var keys = agent.Keys.Select(k => new JsonWebKey(k.PublicJwk)).ToList();
        var check = ClientAssertionValidator.Validate(jwt!, clientId, keys, _urls.AssertionAudiences, now, _settings);
        if (!check.IsValid)
        {
            refusal = new TokenRefusal(check.Error!, clientId, agent.WorkflowId);
            return null;
        }

        if (agent.Status != AgentStatuses.Active)
        {
            refusal = TokenRefusal.Of(OAuthError.InvalidClient, "The agent is disabled.", clientId, agent.WorkflowId);
            return null;
        }

        return new AuthenticatedClient(agent, check.Assertion!);
    }

    /// <summary>Uses up the assertion's <c>jti</c>: a refusal when it was used before.</summary>
    public async Task<TokenRefusal?> UseOnceAsync(AuthenticatedClient client, CancellationToken cancellationToken) =>
        await _replay.TryUseOnceAsync(client.Assertion.ReplayKey, client.Assertion.KeepUntil, cancellationToken).ConfigureAwait(false)
            ? null
            : TokenRefusal.Of(OAuthError.InvalidClient, "The client assertion was already used (jti replay).", client.Agent.ClientId, client.Agent.WorkflowId);

    /// <summary>Authenticates and uses up the assertion at once (introspection and revocation).</summary>
    public async Task<(AuthenticatedClient? Client, TokenRefusal? Refusal)> AuthenticateOnceAsync(IReadOnlyDictionary<string, string> form, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var client = Authenticate(form, now, out var refusal);
        if (client is null)
        {
            return (null, refusal);
        }

        var replayed = await UseOnceAsync(client, cancellationToken).ConfigureAwait(false);
        return replayed is null ? (client, null) : (null, replayed);
    }

    /// <summary>
    /// The start of a request about one token (introspection, revocation: RFC 7662 section 2.1, RFC 7009 section 2.1):
    /// the client authenticated once (a refusal recorded under <paramref name="endpoint"/>), and the <c>token</c>
    /// parameter present. Either the client and the token, or the answer to send.
    /// </summary>
    public async Task<(AuthenticatedClient? Client, string? Token, TokenResponse? Answer)> AuthenticateForTokenAsync(
        IReadOnlyDictionary<string, string> form, DateTimeOffset now, string endpoint, TokenRefusals refusals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(refusals);
        var (client, refusal) = await AuthenticateOnceAsync(form, now, cancellationToken).ConfigureAwait(false);
        if (client is null)
        {
            await refusals.RecordAsync(endpoint, refusal!, cancellationToken).ConfigureAwait(false);
            return (null, null, new TokenResponse(401, TokenResponse.ErrorBody(refusal!.Error), null));
        }

        return form.TryGetValue("token", out var token)
            ? (client, token, null)
            : (null, null, new TokenResponse(400, TokenResponse.ErrorBody(new OAuthError(OAuthError.InvalidRequest, "token is required.")), null));
    }
}
