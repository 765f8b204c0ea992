namespace Skybridge.Storage.Tests.Contract;

/// <summary>The secrets half of the contract: sealed values kept per name, replaced, listed without values, deleted.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset S0 = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero).AddTicks(70);

    [Fact]
    public async Task Secrets_AreKeptPerName_ReplacedBySettingAgain_AndListedWithoutValues()
    {
        Assert.Null(await Store.GetSecretAsync("helpdesk", Ct));
        await Store.SetSecretAsync(new StoredSecret("helpdesk", "bearer", "aesgcm-v1:first", "maria", S0), Ct);
        await Store.SetSecretAsync(new StoredSecret("billing", "basic", "aesgcm-v1:other", "jonas", S0), Ct);
        await Store.SetSecretAsync(new StoredSecret("helpdesk", "api-key", "aesgcm-v1:second", "jonas", S0.AddHours(1)), Ct);

        Assert.Equal(new StoredSecret("helpdesk", "api-key", "aesgcm-v1:second", "jonas", S0.AddHours(1)), await Store.GetSecretAsync("helpdesk", Ct));
        Assert.Equal(
            [new SecretInfo("billing", "basic", "jonas", S0), new SecretInfo("helpdesk", "api-key", "jonas", S0.AddHours(1))],
            await Store.ListSecretsAsync(Ct));
    }

    [Fact]
    public async Task Secrets_Delete_RemovesOnlyThatName_AndReportsWhetherThereWasOne()
    {
        await Store.SetSecretAsync(new StoredSecret("helpdesk", "bearer", "aesgcm-v1:v", "maria", S0), Ct);
        await Store.SetSecretAsync(new StoredSecret("billing", "bearer", "aesgcm-v1:w", "maria", S0), Ct);

        Assert.True(await Store.DeleteSecretAsync("helpdesk", Ct));
        Assert.False(await Store.DeleteSecretAsync("helpdesk", Ct));
        Assert.Null(await Store.GetSecretAsync("helpdesk", Ct));
        Assert.Equal(["billing"], (await Store.ListSecretsAsync(Ct)).Select(s => s.Name));
    }
}
