namespace Skybridge.Client;

/// <summary>Optional settings for <see cref="SkybridgeAgent.CreateHttpClient"/> and the token clients it makes.</summary>
public sealed record SkybridgeAgentOptions
{
    /// <summary>
    /// The scopes to ask for (space-separated), narrower than the role's; null uses the credentials file's
    /// <c>scope</c>, and when that is empty the server grants every scope of the agent's role.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>The resource (RFC 8707 audience) to ask for; null uses the credentials file's <c>resource</c>.</summary>
    public string? Resource { get; init; }

    /// <summary>
    /// The key tokens are bound to. Null (the default) makes a fresh ephemeral key per client, which never leaves the
    /// process; pass one to share it between clients. The caller keeps ownership of a key given here.
    /// </summary>
    public DPoPKey? Key { get; init; }

    /// <summary>
    /// The transport under the handler (for example a configured <see cref="SocketsHttpHandler"/>), used for the token
    /// endpoint too and disposed with the client; null makes one.
    /// </summary>
    public HttpMessageHandler? InnerHandler { get; init; }
}
