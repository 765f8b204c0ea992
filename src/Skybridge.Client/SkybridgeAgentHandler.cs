using System.Net;
using System.Net.Http.Headers;

namespace Skybridge.Client;

/// <summary>
/// Sends every request with the agent's token (<c>Authorization: DPoP</c>) and a fresh DPoP proof of the key it is
/// bound to, including <c>ath</c> and the server's nonce. Retries once when the server asks for a new nonce
/// (<c>use_dpop_nonce</c>) and once with a new token when it refuses the token (<c>invalid_token</c>).
/// </summary>
public sealed class SkybridgeAgentHandler : DelegatingHandler
{
    private readonly ISkybridgeTokenSource _tokens;
    private readonly bool _ownsTokens;

    /// <summary>A handler taking tokens from <paramref name="tokens"/>, which stays the caller's to dispose.</summary>
    public SkybridgeAgentHandler(ISkybridgeTokenSource tokens)
        : this(tokens, ownsTokens: false)
    {
    }

    internal SkybridgeAgentHandler(ISkybridgeTokenSource tokens, bool ownsTokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens;
        _ownsTokens = ownsTokens;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        // A retry sends the request again: the content must be readable twice.
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        var retriedNonce = false;
        var retriedToken = false;
        while (true)
        {
            var token = await _tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
            request.Headers.Remove("DPoP");
            request.Headers.Add("DPoP", _tokens.Key.CreateProof(request.Method, uri, _tokens.NonceFor(uri), token));
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            _tokens.Remember(uri, response);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            // RFC 9449 section 9: a resource server may demand its nonce; one retry with the nonce it just gave.
            // RFC 6750 section 3.1: invalid_token (expired, revoked, key rotated) deserves one retry with a new token.
            // Anything else, or a second refusal, goes back to the caller: never a retry loop.
            var error = ChallengeError(response);
            if (error == "use_dpop_nonce" && !retriedNonce && response.Headers.Contains("DPoP-Nonce"))
            {
                retriedNonce = true;
            }
            else if (error == "invalid_token" && !retriedToken)
            {
                retriedToken = true;
                _tokens.Invalidate(token);
            }
            else
            {
                return response;
            }

            response.Dispose();
            request = await CopyAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>error</c> of a <c>WWW-Authenticate: DPoP</c> challenge, or null.</summary>
    private static string? ChallengeError(HttpResponseMessage response)
    {
        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            if (!string.Equals(challenge.Scheme, "DPoP", StringComparison.OrdinalIgnoreCase) || challenge.Parameter is null)
            {
                continue;
            }

            foreach (var part in challenge.Parameter.Split(','))
            {
                var pair = part.Trim();
                if (pair.StartsWith("error=", StringComparison.Ordinal))
                {
                    return pair["error=".Length..].Trim('"');
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The same request again, for the retry: a message is sent once, and an inner handler may have consumed it.
    /// </summary>
    private static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage original, CancellationToken cancellationToken)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri) { Version = original.Version, VersionPolicy = original.VersionPolicy };
        foreach (var header in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (original.Content is not null)
        {
            // Buffered above, so reading it again gives the same bytes.
            var bytes = await original.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            copy.Content = new ByteArrayContent(bytes);
            foreach (var header in original.Content.Headers)
            {
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        foreach (var option in original.Options)
        {
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        }

        return copy;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsTokens && _tokens is IDisposable owned)
        {
            owned.Dispose();
        }

        base.Dispose(disposing);
    }
}
