using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>The store contract on a real PostgreSQL, one throw-away database per test.</summary>
public sealed class PostgresStoreContractTests : StoreContractTests
{
    private string? _connectionString;

    protected override async Task<ISkybridgeStore> OpenFreshAsync()
    {
        _connectionString = await PostgresServer.CreateDatabaseAsync();
        return SkybridgeStores.OpenPostgres(_connectionString);
    }

    protected override ISkybridgeStore OpenSecondInstance() => SkybridgeStores.OpenPostgres(_connectionString!);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_connectionString);
        }
    }
}
