using Npgsql;
using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Sql;

/// <summary>A store that cannot be used says why and what to do, and never shows a password.</summary>
public sealed class StoreFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sqlite_FolderUnderAFile_NamesThePathAndTheFix()
    {
        var file = Path.GetTempFileName();
        await using var store = SkybridgeStores.OpenSqlite(Path.Combine(file, "data"));
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(Ct));
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("--data", error.Message, StringComparison.Ordinal);
        Assert.False(await store.PingAsync(Ct));
    }

    [Fact]
    public async Task Sqlite_FileThatIsNotADatabase_IsRefusedWithoutDamage()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "skybridge.db");
        var garbage = new string('x', 4096);
        await File.WriteAllTextAsync(path, garbage, Ct);
        await using var store = SkybridgeStores.OpenSqlite(folder);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(Ct));
        Assert.Contains("not a Skybridge database", error.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllTextAsync(path, Ct));
    }

    [Fact]
    public async Task Sqlite_SchemaNewerThanThisBuild_IsRefused()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-newer-" + Guid.NewGuid().ToString("N"));
        await using (var store = SkybridgeStores.OpenSqlite(folder))
        {
            await store.MigrateAsync(Ct);
        }

        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder, "skybridge.db")}"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES (999, 'future', 'x', 0)";
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using var again = SkybridgeStores.OpenSqlite(folder);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => again.MigrateAsync(Ct));
        Assert.Contains("newer Skybridge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_WrongPassword_SaysSo_WithoutThePassword()
    {
        var real = new NpgsqlConnectionStringBuilder(PostgresServer.RequireConnectionString());
        const string wrong = "definitely-not-the-password-7731";
        real.Password = wrong;
        await using var store = SkybridgeStores.OpenPostgres(real.ConnectionString);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(Ct));
        Assert.Contains("refused the password", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{real.Host}:{real.Port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_UnknownDatabase_SaysWhichOne()
    {
        var real = new NpgsqlConnectionStringBuilder(PostgresServer.RequireConnectionString()) { Database = "no_such_db_here" };
        await using var store = SkybridgeStores.OpenPostgres(real.ConnectionString);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(Ct));
        Assert.Contains("no database 'no_such_db_here'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_ServerDown_NamesHostAndPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var store = SkybridgeStores.OpenPostgres($"Host=127.0.0.1;Port={port};Username=x;Password=secret-xyz;Database=y;Timeout=3");
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(Ct));
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-xyz", error.ToString(), StringComparison.Ordinal);
    }
}
