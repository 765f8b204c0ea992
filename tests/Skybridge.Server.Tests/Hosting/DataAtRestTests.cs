using System.Net;
using Dapper;
using Microsoft.Data.Sqlite;
using Skybridge.Application.Hosting;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>What a running node leaves on disk: owner-only files, and no secret in clear in the database.</summary>
public sealed class DataAtRestTests : IClassFixture<RunningServer>
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = OwnerFile | UnixFileMode.UserExecute;

    private readonly RunningServer _server;

    public DataAtRestTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task DataFolder_AndItsFiles_AreOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        // Something written, so the WAL and shared-memory files exist.
        using var client = await _server.SignedInClientAsync("owner");
        using var me = await client.GetAsync("/api/me", Ct);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        var folder = _server.DataFolder;
        Assert.Equal(OwnerFolder, File.GetUnixFileMode(folder));
        var database = Path.Combine(folder, "skybridge.db");
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(OwnerFile, File.GetUnixFileMode(file));
        }

        var keys = Directory.GetFiles(Path.Combine(folder, "keys"));
        Assert.Contains(_server.SecretsKeyFile, keys);
        Assert.All(keys, k => Assert.Equal(OwnerFile, File.GetUnixFileMode(k)));
    }

    [Fact]
    public async Task DPoPNonceSecret_IsStoredSealed_WithTheKeyFromOutsideTheDatabase()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataFolder, "skybridge.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        var stored = await connection.ExecuteScalarAsync<string>("SELECT value FROM shared_secrets WHERE name = 'dpop-nonce'");
        Assert.NotNull(stored);
        Assert.StartsWith("aesgcm-v1:", stored, StringComparison.Ordinal);

        var key = await SecretsKey.LoadOrCreateAsync(_server.SecretsKeyFile, Ct);
        var secret = key.Open("dpop-nonce", stored);
        Assert.Equal(32, secret.Length);
        Assert.DoesNotContain(Convert.ToBase64String(secret), stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(secret), stored, StringComparison.OrdinalIgnoreCase);

        // The sealed value is bound to its name: moved under another name it does not open.
        Assert.Throws<InvalidOperationException>(() => key.Open("another-secret", stored));
        // And another key does not open it.
        Assert.Throws<InvalidOperationException>(() => SecretsKey.Ephemeral().Open("dpop-nonce", stored));
    }

    [Fact]
    public async Task SecretStoredInClearByAnEarlierVersion_IsSealedInPlace_AndKeepsItsValue()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = Skybridge.Storage.SkybridgeStores.OpenSqlite(folder);
            await store.MigrateAsync(Ct);
            var clear = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            await store.GetOrCreateSharedSecretAsync("dpop-nonce", Convert.ToBase64String(clear), DateTimeOffset.UtcNow, Ct);

            var options = new Skybridge.Application.SkybridgeNodeOptions { SecretsKeyFile = Path.Combine(folder, "keys", "secrets.key") };
            await new NodeSecrets(options, store, TimeProvider.System).LoadAsync(Ct);

            var stored = await store.GetOrCreateSharedSecretAsync("dpop-nonce", "unused", DateTimeOffset.UtcNow, Ct);
            Assert.StartsWith("aesgcm-v1:", stored, StringComparison.Ordinal);
            var key = await SecretsKey.LoadOrCreateAsync(options.SecretsKeyFile, Ct);
            Assert.Equal(clear, key.Open("dpop-nonce", stored));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
