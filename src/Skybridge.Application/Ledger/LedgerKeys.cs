using System.Text;
using Skybridge.Core.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>
/// The ledger signing key: an Ed25519 key kept in a file readable only by the service account, never in the
/// database (whoever can edit the database must not be able to re-sign history). Its public half is recorded in
/// the store so verifiers can find it; rotation adds a key and keeps the old public keys.
/// File format (one line): <c>PRIVATE+KEY+name+keyid+base64(seed)</c>.
/// </summary>
public static class LedgerKeys
{
    private const string Prefix = "PRIVATE+KEY+";

    /// <summary>Loads the key for <paramref name="origin"/> from <paramref name="path"/>, creating it on first use.</summary>
    public static async Task<LedgerSigner> LoadOrCreateAsync(string path, string origin, ILedgerStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        LedgerSigner signer;
        if (File.Exists(path))
        {
            signer = Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
            if (!string.Equals(signer.PublicKey.Name, origin, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"The ledger key in {path} signs for '{signer.PublicKey.Name}', but this store's ledger is '{origin}'. " +
                    "Each ledger has its own key: point --ledger-key at this ledger's key file.");
            }
        }
        else
        {
            signer = LedgerSigner.Generate(origin);
            await WriteAsync(path, signer, cancellationToken).ConfigureAwait(false);
        }

        await RegisterAsync(store, signer, time, cancellationToken).ConfigureAwait(false);
        return signer;
    }

    /// <summary>Replaces the key file with a new key; the old public key stays registered, so old checkpoints still verify.</summary>
    public static async Task<LedgerSigner> RotateAsync(string path, string origin, ILedgerStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var signer = LedgerSigner.Generate(origin);
        if (File.Exists(path))
        {
            File.Move(path, path + "." + time.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + ".retired");
        }

        await WriteAsync(path, signer, cancellationToken).ConfigureAwait(false);
        await RegisterAsync(store, signer, time, cancellationToken).ConfigureAwait(false);
        return signer;
    }

    private static Task RegisterAsync(ILedgerStore store, LedgerSigner signer, TimeProvider time, CancellationToken cancellationToken) =>
        store.SaveLedgerKeyAsync(signer.PublicKey.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), signer.PublicKey.Name, signer.PublicKey.ToVerifierString(), time.GetUtcNow(), cancellationToken);

    private static async Task WriteAsync(string path, LedgerSigner signer, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var line = $"{Prefix}{signer.PublicKey.Name}+{signer.PublicKey.KeyId:x8}+{Convert.ToBase64String(signer.PrivateKeySeed)}\n";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static LedgerSigner Parse(string text, string path)
    {
        var line = text.Trim();
        // At most three parts: standard base64 may itself contain '+'.
        var parts = line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..].Split('+', 3) : [];
        if (parts.Length != 3)
        {
            throw new InvalidOperationException($"{path} is not a Skybridge ledger key file (expected {Prefix}name+keyid+key).");
        }

        try
        {
            var signer = LedgerSigner.FromPrivateKey(parts[0], Convert.FromBase64String(parts[2]));
            if (!string.Equals(signer.PublicKey.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), parts[1], StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{path} is damaged: its key does not match its key id.");
            }

            return signer;
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{path} is damaged: the key is not valid base64.");
        }
    }
}
