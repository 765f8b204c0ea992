using System.Text.Json;
using Skybridge.Application.Connectors;
using Skybridge.Application.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Connectors.Tests.Support;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Connectors.Tests;

/// <summary>The secret store for connector credentials over a real SQLite store.</summary>
public sealed class ConnectorSecretsTests : IAsyncLifetime
{
    private const string Password = "pa55-w0rd-for-the-helpdesk";
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-secrets-" + Guid.NewGuid().ToString("N"));
    private ISkybridgeStore _store = null!;
    private LedgerWriter _ledger = null!;

    public async ValueTask InitializeAsync()
    {
        _store = SkybridgeStores.OpenSqlite(_folder);
        await _store.MigrateAsync(Ct);
        _ledger = new LedgerWriter(_store, TimeProvider.System, "test-node");
    }

    public async ValueTask DisposeAsync()
    {
        await _ledger.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static ConnectorCredential Basic => new() { Kind = CredentialKind.Basic, UserName = "skybridge", Value = Password };

    [Fact]
    public async Task Set_SealsTheCredential_SoTheDatabaseNeverHoldsItInClear()
    {
        var secrets = new ConnectorSecrets(_store, SecretsKey.Ephemeral(), _ledger);
        await secrets.SetAsync("helpdesk", Basic, "maria", At, Ct);

        var stored = await _store.GetSecretAsync("helpdesk", Ct);
        Assert.True(SecretsKey.IsSealed(stored!.SealedValue));
        Assert.DoesNotContain(Password, stored.SealedValue, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(_folder, "*", SearchOption.AllDirectories))
        {
            // The database and its write-ahead log, read while the store has them open.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
            Assert.DoesNotContain(Password, await reader.ReadToEndAsync(Ct), StringComparison.Ordinal);
        }

        Assert.Equal(Basic, await secrets.GetAsync("helpdesk", Ct));
        Assert.Equal([new SecretInfo("helpdesk", "basic", "maria", At)], await secrets.ListAsync(Ct));
        Assert.Null(await secrets.GetAsync("billing", Ct));
        Assert.DoesNotContain(Password, Basic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Throws_WithTheFix_WhenTheSecretsKeyIsNotTheOneThatSealedIt()
    {
        await new ConnectorSecrets(_store, SecretsKey.Ephemeral(), _ledger).SetAsync("helpdesk", Basic, "maria", At, Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new ConnectorSecrets(_store, SecretsKey.Ephemeral(), _ledger).GetAsync("helpdesk", Ct));
        Assert.Contains("same secrets key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_RefusesASealedValueMovedToAnotherConnector()
    {
        var key = SecretsKey.Ephemeral();
        var secrets = new ConnectorSecrets(_store, key, _ledger);
        await secrets.SetAsync("helpdesk", Basic, "maria", At, Ct);
        var stored = await _store.GetSecretAsync("helpdesk", Ct);
        await _store.SetSecretAsync(stored! with { Name = "attacker-sink" }, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => secrets.GetAsync("attacker-sink", Ct));
    }

    [Fact]
    public async Task Connector_SendsNothing_WhenTheStoredCredentialCannotBeOpened()
    {
        await new ConnectorSecrets(_store, SecretsKey.Ephemeral(), _ledger).SetAsync("helpdesk", Basic, "maria", At, Ct);
        await using var system = await SystemOfRecord.StartAsync();
        using var tokens = new TestConnectorTokens(TimeProvider.System);
        var connectors = ConnectorServices.Create(tokens, new ConnectorSecrets(_store, SecretsKey.Ephemeral(), _ledger), TimeProvider.System, new CapturedLogs().Factory());

        var result = await connectors.ExecuteAsync(new ConnectorCall
        {
            Connector = new Connector { Name = "helpdesk", Type = ConnectorType.Http, Endpoint = system.Endpoint("ok") },
            Action = "refund", Parameters = JsonDocument.Parse("{}").RootElement, WorkflowId = "support-desk", CaseId = "case-1",
            IdempotencyKey = "k-1", Idempotent = true, Audience = "http://127.0.0.1/helpdesk", Scope = "refund",
        }, Ct);

        // A credential that exists but cannot be opened is never replaced by a token: the operator chose the credential.
        Assert.Equal((ConnectorErrors.CredentialUnavailable, true), (result.ErrorCode, result.KnownNotExecuted));
        Assert.Empty(system.Seen);
        Assert.Empty(tokens.Minted);
    }
}
