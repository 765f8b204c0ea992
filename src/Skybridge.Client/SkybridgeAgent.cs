namespace Skybridge.Client;

/// <summary>
/// Governed agents in a few lines:
/// <code>
/// var credentials = SkybridgeAgentCredentials.Load("responder-1.agent.json");
/// using var http = SkybridgeAgent.CreateHttpClient(credentials);
/// var me = await http.GetFromJsonAsync&lt;JsonElement&gt;("/api/agent/whoami");
/// </code>
/// </summary>
public static class SkybridgeAgent
{
    /// <summary>An HTTP client for the agent's server (base address = issuer) that authenticates every request.</summary>
    public static HttpClient CreateHttpClient(SkybridgeAgentCredentials credentials, HttpMessageHandler? innerHandler = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var transport = innerHandler ?? new SocketsHttpHandler();
        var tokens = new SkybridgeTokenClient(credentials, new HttpClient(transport, disposeHandler: false));
        return new HttpClient(new SkybridgeAgentHandler(tokens) { InnerHandler = transport }) { BaseAddress = credentials.Issuer };
    }

    /// <summary>
    /// An HTTP client for a sub-agent acting for someone else: each token is exchanged (RFC 8693) from the subject
    /// token <paramref name="subjectToken"/> gives (for example the parent agent's current token), narrowed to
    /// <paramref name="scope"/>, and bound to the sub-agent's own key.
    /// </summary>
    public static HttpClient CreateDelegatedHttpClient(SkybridgeAgentCredentials subAgent, Func<CancellationToken, ValueTask<string>> subjectToken, string? scope = null, HttpMessageHandler? innerHandler = null)
    {
        ArgumentNullException.ThrowIfNull(subAgent);
        ArgumentNullException.ThrowIfNull(subjectToken);
        var transport = innerHandler ?? new SocketsHttpHandler();
        var tokens = new DelegatedTokenSource(new SkybridgeTokenClient(subAgent, new HttpClient(transport, disposeHandler: false)), subjectToken, scope);
        return new HttpClient(new SkybridgeAgentHandler(tokens) { InnerHandler = transport }) { BaseAddress = subAgent.Issuer };
    }
}

/// <summary>Tokens by exchange: the sub-agent's token for a subject token from elsewhere, cached until shortly before it expires.</summary>
public sealed class DelegatedTokenSource : ISkybridgeTokenSource
{
    private readonly SkybridgeTokenClient _client;
    private readonly Func<CancellationToken, ValueTask<string>> _subjectToken;
    private readonly string? _scope;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private SkybridgeToken? _current;

    /// <summary>Exchanges through <paramref name="client"/> (the sub-agent's client) for subject tokens from <paramref name="subjectToken"/>.</summary>
    public DelegatedTokenSource(SkybridgeTokenClient client, Func<CancellationToken, ValueTask<string>> subjectToken, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(subjectToken);
        _client = client;
        _subjectToken = subjectToken;
        _scope = scope;
    }

    /// <inheritdoc />
    public DPoPKey Key => _client.Key;

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        if (SkybridgeTokenClient.Fresh(_current) is { } token)
        {
            return token;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (SkybridgeTokenClient.Fresh(_current) is { } fetched)
            {
                return fetched;
            }

            var subject = await _subjectToken(cancellationToken).ConfigureAwait(false);
            _current = await _client.ExchangeAsync(subject, _scope, cancellationToken: cancellationToken).ConfigureAwait(false);
            return _current.AccessToken;
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <inheritdoc />
    public void Invalidate(string accessToken)
    {
        if (_current?.AccessToken == accessToken)
        {
            _current = null;
        }
    }

    /// <inheritdoc />
    public string? NonceFor(Uri uri) => _client.NonceFor(uri);

    /// <inheritdoc />
    public void Remember(Uri uri, HttpResponseMessage response) => _client.Remember(uri, response);
}
