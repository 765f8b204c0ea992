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
    /// <summary>
    /// An HTTP client for the agent's server (base address = issuer) that authenticates every request: it gets tokens
    /// with <c>client_credentials</c> and <c>private_key_jwt</c>, binds them to a DPoP key, and signs a proof for each
    /// request. Disposing the client disposes the token client and the key it made.
    /// </summary>
    public static HttpClient CreateHttpClient(SkybridgeAgentCredentials credentials, SkybridgeAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        options ??= new SkybridgeAgentOptions();
        var transport = options.InnerHandler ?? new SocketsHttpHandler();
        var tokens = TokenClient(credentials, options, transport);
        return new HttpClient(new SkybridgeAgentHandler(tokens, ownsTokens: true) { InnerHandler = transport }) { BaseAddress = credentials.Issuer };
    }

    /// <summary>
    /// An HTTP client for a sub-agent acting for someone else: each token is exchanged (RFC 8693) from the subject
    /// token <paramref name="subjectToken"/> gives (for example the parent agent's
    /// <see cref="SkybridgeTokenClient.GetAccessTokenAsync"/>), narrowed to <paramref name="scope"/>, and bound to the
    /// sub-agent's own key. The server nests the actor chain in the new token's <c>act</c> claim.
    /// </summary>
    public static HttpClient CreateDelegatedHttpClient(SkybridgeAgentCredentials subAgent, Func<CancellationToken, ValueTask<string>> subjectToken, string? scope = null, SkybridgeAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(subAgent);
        ArgumentNullException.ThrowIfNull(subjectToken);
        options ??= new SkybridgeAgentOptions();
        var transport = options.InnerHandler ?? new SocketsHttpHandler();
        var tokens = new DelegatedTokenSource(TokenClient(subAgent, options, transport), subjectToken, scope, options.Resource, ownsClient: true);
        return new HttpClient(new SkybridgeAgentHandler(tokens, ownsTokens: true) { InnerHandler = transport }) { BaseAddress = subAgent.Issuer };
    }

    private static SkybridgeTokenClient TokenClient(SkybridgeAgentCredentials credentials, SkybridgeAgentOptions options, HttpMessageHandler transport) =>
        // The transport is shared with the API client, which disposes it; this client must not.
        new(credentials, new HttpClient(transport, disposeHandler: false), options.Key)
        {
            Scope = options.Scope ?? credentials.Scope,
            Resource = options.Resource ?? credentials.Resource,
        };
}

/// <summary>Tokens by exchange: the sub-agent's token for a subject token from elsewhere, cached until shortly before it expires.</summary>
public sealed class DelegatedTokenSource : ISkybridgeTokenSource, IDisposable
{
    private readonly SkybridgeTokenClient _client;
    private readonly Func<CancellationToken, ValueTask<string>> _subjectToken;
    private readonly string? _scope;
    private readonly string? _resource;
    private readonly bool _ownsClient;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private SkybridgeToken? _current;

    /// <summary>
    /// Exchanges through <paramref name="client"/> (the sub-agent's client, which stays the caller's) for subject tokens
    /// from <paramref name="subjectToken"/>, asking for <paramref name="scope"/> and <paramref name="resource"/>.
    /// </summary>
    public DelegatedTokenSource(SkybridgeTokenClient client, Func<CancellationToken, ValueTask<string>> subjectToken, string? scope = null, string? resource = null)
        : this(client, subjectToken, scope, resource, ownsClient: false)
    {
    }

    internal DelegatedTokenSource(SkybridgeTokenClient client, Func<CancellationToken, ValueTask<string>> subjectToken, string? scope, string? resource, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(subjectToken);
        _client = client;
        _subjectToken = subjectToken;
        _scope = scope;
        _resource = resource;
        _ownsClient = ownsClient;
    }

    /// <inheritdoc />
    public DPoPKey Key => _client.Key;

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        if (SkybridgeTokenClient.Fresh(Volatile.Read(ref _current)) is { } token)
        {
            return token;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (SkybridgeTokenClient.Fresh(Volatile.Read(ref _current)) is { } fetched)
            {
                return fetched;
            }

            // The server caps the new token's life at the subject token's (RFC 8693 narrowing), so a fresh subject
            // token is asked for each time rather than reusing one that may be near its end.
            var subject = await _subjectToken(cancellationToken).ConfigureAwait(false);
            var issued = await _client.ExchangeAsync(subject, _scope, _resource, cancellationToken: cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _current, issued);
            return issued.AccessToken;
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <inheritdoc />
    public void Invalidate(string accessToken) => SkybridgeTokenClient.Invalidate(ref _current, accessToken);

    /// <inheritdoc />
    public string? NonceFor(Uri uri) => _client.NonceFor(uri);

    /// <inheritdoc />
    public void Remember(Uri uri, HttpResponseMessage response) => _client.Remember(uri, response);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        _fetching.Dispose();
    }
}
