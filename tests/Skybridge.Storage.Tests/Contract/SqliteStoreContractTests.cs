namespace Skybridge.Storage.Tests.Contract;

/// <summary>The store contract on the embedded default.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-store-" + Guid.NewGuid().ToString("N"));

    protected override Task<ISkybridgeStore> OpenFreshAsync() => Task.FromResult(SkybridgeStores.OpenSqlite(_folder));

    protected override ISkybridgeStore OpenSecondInstance() => SkybridgeStores.OpenSqlite(_folder);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
