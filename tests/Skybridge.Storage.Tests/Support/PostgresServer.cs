using Npgsql;

namespace Skybridge.Storage.Tests.Support;

/// <summary>
/// The real PostgreSQL that scripts/test.sh starts (SKYBRIDGE_TEST_POSTGRES). Each caller gets a fresh database,
/// dropped afterwards. Without a server the tests fail with what to do, unless the run opted out with
/// SKYBRIDGE_TEST_SKIP_POSTGRES=1, which shows as skipped tests, never as passes.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "SKYBRIDGE_TEST_POSTGRES";

    public static string RequireConnectionString()
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }

        if (Environment.GetEnvironmentVariable("SKYBRIDGE_TEST_SKIP_POSTGRES") == "1")
        {
            Assert.Skip("PostgreSQL tests skipped: SKYBRIDGE_TEST_SKIP_POSTGRES=1");
        }

        Assert.Fail($"No PostgreSQL for the tests: run scripts/test.sh (it starts one), set {Variable}, or opt out with SKYBRIDGE_TEST_SKIP_POSTGRES=1.");
        return "";
    }

    /// <summary>Creates a throw-away database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = RequireConnectionString();
        var name = "skybridge_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var admin = RequireConnectionString();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
