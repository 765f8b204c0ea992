using System.Security.Cryptography;
using System.Text;

namespace Skybridge.Application.Hosting;

/// <summary>
/// The key that encrypts secrets at rest in the store (AES-256-GCM), kept outside the database: a copy of the
/// database alone (a backup, a replica, a stolen file) does not hold usable secrets. Every node of an installation
/// needs the same key; see docs/storage.md for backing it up and sharing it.
/// </summary>
public sealed class SecretsKey
{
    private const string Prefix = "aesgcm-v1:";
    private const int NonceSize = 12, TagSize = 16;

    private readonly byte[] _key;

    private SecretsKey(byte[] key, string source)
    {
        _key = key;
        Source = source;
    }

    /// <summary>Where the key came from (a path, the environment, or memory), for error messages.</summary>
    public string Source { get; }

    /// <summary>A key that lives only as long as this process (for tests and throw-away nodes).</summary>
    public static SecretsKey Ephemeral() => new(RandomNumberGenerator.GetBytes(32), "a key kept in memory by this process");

    /// <summary>A key given as base64 (32 bytes), for example from an environment variable.</summary>
    public static SecretsKey FromBase64(string base64, string source)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"The secrets key from {source} is not base64.", ex);
        }

        return key.Length == 32 ? new SecretsKey(key, source) : throw new InvalidOperationException($"The secrets key from {source} must be 32 bytes (base64), not {key.Length}.");
    }

    /// <summary>Reads the key file, or creates it (readable and writable by the owner only) when it does not exist.</summary>
    public static async Task<SecretsKey> LoadOrCreateAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            return FromBase64(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using var stream = new FileStream(path, options);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process on this machine created it first: use theirs.
            return FromBase64(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
        }

        return new SecretsKey(key, path);
    }

    /// <summary>Whether a stored value was sealed by this class (as opposed to a clear value from an older version).</summary>
    public static bool IsSealed(string stored) => stored?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>Encrypts <paramref name="secret"/>; the name is bound in as associated data, so values cannot be swapped.</summary>
    public string Seal(string name, byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var sealedBytes = new byte[NonceSize + TagSize + secret.Length];
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, secret, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), Associated(name));
        nonce.CopyTo(sealedBytes, 0);
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>Decrypts a value from <see cref="Seal"/>; a wrong key or a changed value throws with the fix in the message.</summary>
    public byte[] Open(string name, string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        try
        {
            var bytes = Convert.FromBase64String(stored[Prefix.Length..]);
            var secret = new byte[bytes.Length - NonceSize - TagSize];
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(bytes.AsSpan(0, NonceSize), bytes.AsSpan(NonceSize + TagSize), bytes.AsSpan(NonceSize, TagSize), secret, Associated(name));
            return secret;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidOperationException(
                $"The secrets key ({Source}) does not open the secret '{name}' stored in the database. Every node of an installation " +
                "needs the same secrets key: copy it from the node that created it, or restore it from your backup (see docs/storage.md).", ex);
        }
    }

    private static byte[] Associated(string name) => Encoding.UTF8.GetBytes("skybridge-secret:" + name);
}
