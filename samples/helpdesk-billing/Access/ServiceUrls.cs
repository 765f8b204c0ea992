namespace HelpdeskBilling.Access;

/// <summary>
/// The service's own URLs: its base (the public URL, or the first listening address once it listens), the two audiences
/// (one per connector of the support-desk manifest, so a helpdesk token can never move money), and request URLs as
/// DPoP proofs must name them.
/// </summary>
internal sealed class ServiceUrls(HelpdeskBillingOptions options, Func<string?> firstListeningAddress)
{
    private string? _base;

    /// <summary>Scheme, host and port, no trailing slash.</summary>
    public string Base => _base ??= Resolve();

    /// <summary>The resource identifier (RFC 8707) of the helpdesk: the <c>aud</c> its endpoints accept.</summary>
    public string HelpdeskAudience => options.HelpdeskAudience ?? Base + "/helpdesk";

    /// <summary>The resource identifier of billing.</summary>
    public string BillingAudience => options.BillingAudience ?? Base + "/billing";

    /// <summary>The URL of this request as the caller addressed it (the <c>htu</c> of its proof): the public URL when set.</summary>
    public Uri RequestUri(HttpRequest request) =>
        new((options.PublicUrl is null ? request.Scheme + "://" + request.Host.Value : Base) + request.PathBase.Value + request.Path.Value);

    private string Resolve()
    {
        if (options.PublicUrl is { Length: > 0 } url)
        {
            return url.TrimEnd('/');
        }

        var first = firstListeningAddress() ?? throw new InvalidOperationException("The service is not listening yet, and no public URL is configured.");
        return first.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal).TrimEnd('/');
    }
}
