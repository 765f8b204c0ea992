using Microsoft.IdentityModel.Tokens;

namespace HelpdeskBilling.Access;

/// <summary>
/// Skybridge's token-signing keys, fetched from its JWKS and cached. An unknown <c>kid</c> triggers one refetch (Skybridge
/// rotates keys and publishes the new one before signing with it), at most once per
/// <see cref="HelpdeskBillingOptions.JwksMinRefreshInterval"/>, so tokens with made-up kids cannot make us hammer it.
/// </summary>
internal sealed partial class SkybridgeKeys(HttpClient http, Uri jwksUrl, HelpdeskBillingOptions options, TimeProvider time, ILogger<SkybridgeKeys> logger)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile IReadOnlyDictionary<string, SecurityKey> _keys = new Dictionary<string, SecurityKey>();
    private DateTimeOffset? _fetchedAt;

    /// <summary>The key with this id, refetching the JWKS once if it is not known; null when Skybridge has no such key.</summary>
    public async Task<SecurityKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(kid, out var key))
        {
            return key;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Another request may have refreshed while this one waited.
            if (_keys.TryGetValue(kid, out key))
            {
                return key;
            }

            var now = time.GetUtcNow();
            if (_fetchedAt is { } last && now - last < options.JwksMinRefreshInterval)
            {
                return null;
            }

            _fetchedAt = now;
            try
            {
                var json = await http.GetStringAsync(jwksUrl, cancellationToken);
                var set = new JsonWebKeySet(json);
                _keys = set.Keys
                    .Where(k => k.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve && k.Crv == JsonWebKeyECTypes.P256 && !k.HasPrivateKey && k.Kid is { Length: > 0 })
                    .ToDictionary(k => k.Kid, SecurityKey (k) => k, StringComparer.Ordinal);
                Log.KeysFetched(logger, _keys.Count);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or System.Text.Json.JsonException)
            {
                // Skybridge unreachable: tokens signed by keys we already know keep working; new ones wait for the next try.
                Log.KeysUnavailable(logger, e.Message);
            }

            return _keys.GetValueOrDefault(kid);
        }
        finally
        {
            _refresh.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Fetched Skybridge's signing keys: {Count} key(s)")]
        public static partial void KeysFetched(ILogger logger, int count);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Skybridge's signing keys could not be fetched: {Reason}")]
        public static partial void KeysUnavailable(ILogger logger, string reason);
    }
}
