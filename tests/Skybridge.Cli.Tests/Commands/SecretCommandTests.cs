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
        var credential = await new Application.Connectors.ConnectorSecrets(store, key).GetAsync("helpdesk", TestContext.Current.CancellationToken);
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
}
