namespace Skybridge.Cli.Tests.Commands;

public sealed class SecretCommandTests
{
    private const string Token = "sk_live_9c8b7a6f5e4d3c2b";

    [Fact]
    public async Task Set_StoresTheCredentialSealed_AndListShowsNamesNeverValues()
    {
        var data = CliRun.NewDataFolder();
        var set = await CliRun.RunWithInputAsync(Token + "\n", "secret", "set", "helpdesk", "--from-stdin", "--by", "maria", "--data", data);
        Assert.True(set.ExitCode == 0, set.Output + set.Error);
        Assert.Contains("Stored the bearer credential of connector 'helpdesk'", set.Output, StringComparison.Ordinal);

        var basic = await CliRun.RunWithInputAsync("hunter2-hunter2\n", "secret", "set", "billing", "--kind", "basic", "--user", "skybridge", "--from-stdin", "--data", data);
        Assert.True(basic.ExitCode == 0, basic.Output + basic.Error);

        var list = await CliRun.RunAsync("secret", "list", "--data", data);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("helpdesk", list.Output, StringComparison.Ordinal);
        Assert.Contains("maria", list.Output, StringComparison.Ordinal);
        Assert.Contains("basic", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, set.Output + set.Error + list.Output + list.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", basic.Output + basic.Error + list.Output, StringComparison.Ordinal);

        // What the server will read: opened with the key file the server uses, the same credential.
        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        var key = await Application.Hosting.SecretsKey.LoadOrCreateAsync(Path.Combine(data, "keys", "secrets.key"), TestContext.Current.CancellationToken);
        await using var ledger = new Application.Ledger.LedgerWriter(store, TimeProvider.System, "test");
        var credential = await new Application.Connectors.ConnectorSecrets(store, key, ledger).GetAsync("helpdesk", TestContext.Current.CancellationToken);
        Assert.Equal((Application.Connectors.CredentialKind.Bearer, Token), (credential!.Kind, credential.Value));
        Assert.DoesNotContain(Token, (await store.GetSecretAsync("helpdesk", TestContext.Current.CancellationToken))!.SealedValue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_Basic_WithoutUser_IsRefused_BeforeAnythingIsStored()
    {
        var data = CliRun.NewDataFolder();
        var run = await CliRun.RunWithInputAsync(Token + "\n", "secret", "set", "helpdesk", "--kind", "basic", "--from-stdin", "--data", data);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("needs --user", run.Error, StringComparison.Ordinal);
        Assert.Contains("No connector credentials", (await CliRun.RunAsync("secret", "list", "--data", data)).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_DeletesTheCredential_AndSaysSoWhenThereIsNone()
    {
        var data = CliRun.NewDataFolder();
        await CliRun.RunWithInputAsync(Token + "\n", "secret", "set", "helpdesk", "--from-stdin", "--data", data);
        Assert.Equal(0, (await CliRun.RunAsync("secret", "remove", "helpdesk", "--data", data)).ExitCode);
        var again = await CliRun.RunAsync("secret", "remove", "helpdesk", "--data", data);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("No credential is stored for connector 'helpdesk'", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAndRemove_AreLedgerEvents_WithTheNameAndWho_NeverTheValueNorItsHash()
    {
        var data = CliRun.NewDataFolder();
        var first = await CliRun.RunWithInputAsync(Token + "\n", "secret", "set", "helpdesk", "--from-stdin", "--by", "maria", "--data", data);
        var second = await CliRun.RunWithInputAsync("hunter2-hunter2\n", "secret", "set", "helpdesk", "--kind", "basic", "--user", "skybridge", "--from-stdin", "--by", "jonas", "--data", data);
        var removed = await CliRun.RunAsync("secret", "remove", "helpdesk", "--by", "lee", "--data", data);
        var again = await CliRun.RunAsync("secret", "remove", "helpdesk", "--by", "lee", "--data", data);
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0 && removed.ExitCode == 0, first.Error + second.Error + removed.Error);
        Assert.Equal(2, again.ExitCode);

        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        var events = (await store.ReadLedgerEventsAsync(0, 1000, TestContext.Current.CancellationToken)).Where(e => e.Type.StartsWith("secret.", StringComparison.Ordinal)).ToList();
        // Only what happened: the refused second removal recorded nothing.
        Assert.Equal(["secret.set", "secret.set", "secret.removed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Contains("\"helpdesk\"", e.Body, StringComparison.Ordinal));
        Assert.Contains("\"maria\"", events[0].Body, StringComparison.Ordinal);
        Assert.Contains("\"basic\"", events[1].Body, StringComparison.Ordinal);
        Assert.Contains("\"lee\"", events[2].Body, StringComparison.Ordinal);

        var everything = string.Concat(events.Select(e => e.Body)) + first.Output + first.Error + second.Output + second.Error + removed.Output + removed.Error;
        foreach (var value in new[] { Token, "hunter2-hunter2" })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            Assert.DoesNotContain(value, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), everything, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(bytes)), everything, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(bytes), everything, StringComparison.Ordinal);
        }
    }
}
