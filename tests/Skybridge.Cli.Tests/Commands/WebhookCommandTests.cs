namespace Skybridge.Cli.Tests.Commands;

public sealed class WebhookCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The sample with a webhook, in a copy of its folder (its golden set and sources come along).</summary>
    private static async Task<string> ManifestWithWebhookAsync()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-webhook-").FullName;
        CliRun.CopySample(folder);

        var path = Path.Combine(folder, "manifest.yaml");
        await File.AppendAllTextAsync(path, "\nwebhooks:\n  - name: leads-chat\n    url: https://chat.example.com/hooks/skybridge\n    events: [approval.requested]\n", Ct);
        return path;
    }

    [Fact]
    public async Task Secret_IntoAFolderThatDoesNotExist_ExitsTwo_AndMakesNoSecret()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", await ManifestWithWebhookAsync(), "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez");
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);
        var file = Path.Combine(data, "no-such-folder", "leads-chat.webhook-secret");

        var made = await CliRun.RunAsync("webhook", "secret", "support-desk", "leads-chat", "--out", file, "--data", data);

        Assert.Equal(2, made.ExitCode);
        Assert.Contains($"The secret cannot be written to {file}: the folder {Path.GetDirectoryName(file)} does not exist. Nothing was changed.", made.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", made.Error, StringComparison.Ordinal);
        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        var key = await Application.Hosting.SecretsKey.LoadOrCreateAsync(Path.Combine(data, "keys", "secrets.key"), Ct);
        await using var ledger = new Application.Ledger.LedgerWriter(store, TimeProvider.System, "test");
        Assert.Null(await new Application.Notifications.WebhookSecrets(store, () => key, ledger).GetAsync("support-desk", "leads-chat", Ct));
    }

    [Fact]
    public async Task Secret_MakesOne_ShowsItOnce_AndStoresItSealed()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", await ManifestWithWebhookAsync(), "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez");
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);

        var file = Path.Combine(data + "-out", "leads-chat.webhook-secret");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var made = await CliRun.RunAsync("webhook", "secret", "support-desk", "leads-chat", "--out", file, "--data", data);
        Assert.True(made.ExitCode == 0, made.Output + made.Error);
        var secret = (await File.ReadAllTextAsync(file, Ct)).Trim();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, made.Output + made.Error, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        // A second secret never overwrites the file the first one is in.
        var again = await CliRun.RunAsync("webhook", "secret", "support-desk", "leads-chat", "--out", file, "--data", data);
        Assert.Equal(2, again.ExitCode);
        Assert.Equal(secret, (await File.ReadAllTextAsync(file, Ct)).Trim());

        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        var key = await Application.Hosting.SecretsKey.LoadOrCreateAsync(Path.Combine(data, "keys", "secrets.key"), Ct);
        await using (var ledger = new Application.Ledger.LedgerWriter(store, TimeProvider.System, "test"))
        {
            Assert.Equal(secret, await new Application.Notifications.WebhookSecrets(store, () => key, ledger).GetAsync("support-desk", "leads-chat", Ct));
        }

        // The change is a ledger event naming the secret, never holding its value.
        var events = await store.ReadLedgerEventsAsync(0, 10_000, Ct);
        Assert.Contains(events, e => e.Type == "secret.set" && e.Body.Contains("webhook:support-desk/leads-chat", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Body.Contains(secret["whsec_".Length..], StringComparison.Ordinal));
        Assert.DoesNotContain(secret, (await store.GetSecretAsync("webhook:support-desk/leads-chat", Ct))!.SealedValue, StringComparison.Ordinal);
        var list = await CliRun.RunAsync("secret", "list", "--data", data);
        Assert.Contains("webhook", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_ForAWebhookTheManifestLacks_OrAMalformedOne_IsRefused_AndNothingIsStored()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", await ManifestWithWebhookAsync(), "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez");
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);

        var unknown = await CliRun.RunAsync("webhook", "secret", "support-desk", "leads-chats", "--data", data);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("declares no webhook 'leads-chats'", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("leads-chat", unknown.Error, StringComparison.Ordinal);

        var malformed = await CliRun.RunWithInputAsync("hunter2\n", "webhook", "secret", "support-desk", "leads-chat", "--from-stdin", "--data", data);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("not a webhook signing secret", malformed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", malformed.Output + malformed.Error, StringComparison.Ordinal);

        await using var store = Storage.SkybridgeStores.OpenSqlite(data);
        Assert.Empty(await store.ListSecretsAsync(Ct));
    }
}
