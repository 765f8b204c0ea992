using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;
using Skybridge.Application;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens;

/// <summary>
/// Token-signing keys. Each node signs with its own EC P-256 key, kept in a file only the service account reads
/// (never in the database), and publishes the public half in the store; every node verifies with every published
/// key, and the JWKS lists them. Rotation retires the old key: it signs nothing more but keeps verifying until
/// the longest-lived token it could have signed has expired.
/// </summary>
public sealed class TokenSigningKeys
{
    private readonly ITokenStore _store;
    private readonly TimeProvider _time;
    private readonly SkybridgeNodeOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IReadOnlyDictionary<string, SecurityKey> _verifying = new Dictionary<string, SecurityKey>();
    private volatile IReadOnlyList<TokenSigningKey> _published = [];
    private long _lastMissRefresh;
    private ECDsaSecurityKey? _current;
    private DateTimeOffset _currentCreated;

    /// <summary>Keys of the node configured by <paramref name="options"/>.</summary>
    public TokenSigningKeys(ITokenStore store, TimeProvider time, SkybridgeNodeOptions options)
    {
        _store = store;
        _time = time;
        _options = options;
    }

    /// <summary>The key this node signs with now.</summary>
    public SecurityKey Current => _current ?? throw new InvalidOperationException("The token-signing key is not loaded yet.");

    /// <summary>Every published key still verifying, newest first (the JWKS).</summary>
    public IReadOnlyList<TokenSigningKey> Published => _published;

    /// <summary>How long a retired key keeps verifying: the longest token life, plus skew.</summary>
    private TimeSpan Overlap => (_options.Identity.PersonTokenLifetime > _options.Identity.AgentTokenLifetime
        ? _options.Identity.PersonTokenLifetime : _options.Identity.AgentTokenLifetime) + _options.Identity.ClockSkew;

    /// <summary>Loads (or makes) this node's key, rotates it when it is too old, publishes it, and loads every node's keys.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.TokenKeyFile is { } path && File.Exists(path))
            {
                (_current, _currentCreated) = Read(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
            }
            else
            {
                await MakeNewKeyAsync(cancellationToken).ConfigureAwait(false);
            }

            await _store.PublishSigningKeyAsync(new TokenSigningKey(_current!.KeyId, _options.NodeId, PublicJwk(_current), _currentCreated, null), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        await RotateIfDueAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rotates when the current key is older than its configured lifetime.</summary>
    public async Task RotateIfDueAsync(CancellationToken cancellationToken)
    {
        if (_time.GetUtcNow() - _currentCreated >= _options.TokenKeyLifetime)
        {
            await RotateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes a new signing key now; the old one is retired and verifies until its tokens have expired.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = _current;
            await MakeNewKeyAsync(cancellationToken).ConfigureAwait(false);
            await _store.PublishSigningKeyAsync(new TokenSigningKey(_current!.KeyId, _options.NodeId, PublicJwk(_current), _currentCreated, null), cancellationToken).ConfigureAwait(false);
            if (old is not null)
            {
                await _store.RetireSigningKeyAsync(old.KeyId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return _current!.KeyId;
    }

    /// <summary>Reloads the published keys of every node from the store.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var keys = await _store.ListSigningKeysAsync(_time.GetUtcNow() - Overlap, cancellationToken).ConfigureAwait(false);
        var verifying = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            verifying[key.KeyId] = new JsonWebKey(key.PublicJwk);
        }

        if (_current is not null)
        {
            verifying[_current.KeyId] = _current;
        }

        _published = keys;
        _verifying = verifying;
    }

    /// <summary>
    /// The verifying key with this id, or null. An unknown id triggers a reload from the store (another node may have
    /// just rotated), at most once a second in all, so that made-up ids cannot hammer the store.
    /// </summary>
    public SecurityKey? Find(string keyId)
    {
        if (_verifying.TryGetValue(keyId, out var key))
        {
            return key;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastMissRefresh);
        if (now - last > TimeSpan.TicksPerSecond && Interlocked.CompareExchange(ref _lastMissRefresh, now, last) == last)
        {
            RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();
            return _verifying.GetValueOrDefault(keyId);
        }

        return null;
    }

    private async Task MakeNewKeyAsync(CancellationToken cancellationToken)
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Jose.Thumbprint(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(PublicOnly(ecdsa))));
        _current = key;
        _currentCreated = _time.GetUtcNow();
        if (_options.TokenKeyFile is { } path)
        {
            await WriteAsync(path, ecdsa, key.KeyId, _currentCreated, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ECDsa PublicOnly(ECDsa key)
    {
        var copy = ECDsa.Create();
        copy.ImportParameters(key.ExportParameters(includePrivateParameters: false));
        return copy;
    }

    /// <summary>The public JWK (no private member) of a signing key, as JSON.</summary>
    public static string PublicJwk(ECDsaSecurityKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
            ["kid"] = key.KeyId, ["alg"] = Jose.AccessTokenAlgorithm, ["use"] = "sig",
        });
    }

    private static async Task WriteAsync(string path, ECDsa key, string keyId, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var p = key.ExportParameters(includePrivateParameters: true);
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
            ["d"] = Base64UrlEncoder.Encode(p.D), ["kid"] = keyId, ["alg"] = Jose.AccessTokenAlgorithm, ["use"] = "sig",
            ["created"] = created.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Write beside, then move over: a crash never leaves a half-written key file.
        var temp = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(json), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static (ECDsaSecurityKey Key, DateTimeOffset Created) Read(string json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var ecdsa = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(root.GetProperty("x").GetString()), Y = Base64UrlEncoder.DecodeBytes(root.GetProperty("y").GetString()) },
                D = Base64UrlEncoder.DecodeBytes(root.GetProperty("d").GetString()),
            });
            var created = DateTimeOffset.Parse(root.GetProperty("created").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            return (new ECDsaSecurityKey(ecdsa) { KeyId = root.GetProperty("kid").GetString() }, created);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or CryptographicException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidOperationException($"The token-signing key file {path} is not a Skybridge EC P-256 key file; restore it from a backup or delete it to make a new key.", ex);
        }
    }
}
