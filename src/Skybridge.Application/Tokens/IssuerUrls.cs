using Skybridge.Application;

namespace Skybridge.Application.Tokens;

/// <summary>
/// The URLs the token service names: the issuer (the public URL, or the first listening address), its endpoints, and
/// the resource identifier of Skybridge's agent API. Resolved once, after the node listens.
/// </summary>
public sealed class IssuerUrls
{
    private readonly SkybridgeNodeOptions _options;
    private readonly Func<string?> _firstListeningAddress;
    private string? _issuer;

    /// <summary>
    /// URLs of a node; <paramref name="firstListeningAddress"/> is asked once, when no public URL is configured (the host
    /// knows where it listens, and only after it started).
    /// </summary>
    public IssuerUrls(SkybridgeNodeOptions options, Func<string?> firstListeningAddress)
    {
        ArgumentNullException.ThrowIfNull(options);
        // RFC 8707 section 2: a resource is an absolute URI without a fragment. A bad one is broken configuration.
        foreach (var resource in options.ExtraResources)
        {
            if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0)
            {
                throw new InvalidOperationException($"Extra resource '{resource}' must be an absolute URI without a fragment (RFC 8707).");
            }
        }

        _options = options;
        _firstListeningAddress = firstListeningAddress;
    }

    /// <summary>The issuer: scheme, host and port, no trailing slash.</summary>
    public string Issuer => _issuer ??= Resolve();

    /// <summary>The token endpoint.</summary>
    public string TokenEndpoint => Issuer + "/oauth/token";

    /// <summary>The resource identifier (audience) of Skybridge's own agent API (RFC 8707).</summary>
    public string ApiResource => Issuer + "/api";

    /// <summary>Resources tokens may be issued for: Skybridge's own API first (the default audience), then the
    /// systems of record configured in <see cref="SkybridgeNodeOptions.ExtraResources"/>.</summary>
    public IReadOnlyList<string> Resources => [ApiResource, .. _options.ExtraResources];

    /// <summary>The audiences a client assertion may name: the issuer or the token endpoint (RFC 7523 section 3).</summary>
    public IReadOnlyCollection<string> AssertionAudiences => [Issuer, TokenEndpoint];

    /// <summary>The URI a client used for a request to <paramref name="path"/>, as its DPoP proof's <c>htu</c> must name it.</summary>
    public Uri RequestUri(string path) => new(Issuer + path);

    private string Resolve()
    {
        if (_options.PublicUrl is { Length: > 0 } url)
        {
            return url.TrimEnd('/');
        }

        var first = _firstListeningAddress()
            ?? throw new InvalidOperationException("The node is not listening yet, and no public URL is configured.");
        return first.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal).TrimEnd('/');
    }
}
