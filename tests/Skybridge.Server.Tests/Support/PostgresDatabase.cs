using Npgsql;
using Skybridge.Server;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Support;

/// <summary>
/// A throw-away database on the PostgreSQL that scripts/test.sh starts (SKYBRIDGE_TEST_POSTGRES), for nodes that share
/// one store. Without a server the test fails with what to do, unless the run opted out with
/// SKYBRIDGE_TEST_SKIP_POSTGRES=1 (then it shows as skipped, never as passed).
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private PostgresDatabase(string admin, string connectionString)
    {
        _admin = admin;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable("SKYBRIDGE_TEST_POSTGRES");
        if (string.IsNullOrEmpty(admin))
        {
            if (Environment.GetEnvironmentVariable("SKYBRIDGE_TEST_SKIP_POSTGRES") == "1")
            {
                Assert.Skip("PostgreSQL tests skipped: SKYBRIDGE_TEST_SKIP_POSTGRES=1");
            }

            Assert.Fail("No PostgreSQL for the tests: run scripts/test.sh (it starts one), set SKYBRIDGE_TEST_POSTGRES, or opt out with SKYBRIDGE_TEST_SKIP_POSTGRES=1.");
        }

        var name = "skybridge_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new PostgresDatabase(admin!, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A node on a shared PostgreSQL database: the first seeds it; the others share its key files (as the nodes of one
/// installation do) and start on what it wrote.
/// </summary>
internal sealed class PostgresNode(string connectionString, string nodeId, RunningServer? first = null) : RunningServer
{
    protected override ISkybridgeStore OpenStore(string dataFolder) => SkybridgeStores.OpenPostgres(connectionString);

    protected override bool Seeds => first is null;

    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => first is null
        ? options with { NodeId = nodeId }
        : options with
        {
            NodeId = nodeId,
            LedgerKeyFile = Path.Combine(first.DataFolder, "keys", "ledger.key"),
            TokenKeyFile = first.TokenKeyFile,
            SecretsKeyFile = first.SecretsKeyFile,
        };
}
