namespace Skybridge.Storage.Tests.Contract;

/// <summary>
/// The one contract every store must keep. Runs against SQLite and against a real PostgreSQL; each test gets a new,
/// empty, migrated store.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    protected ISkybridgeStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 11, 2, 9, 30, 15, TimeSpan.Zero).AddTicks(1234560);

    /// <summary>A new store over fresh, empty storage (not yet migrated).</summary>
    protected abstract Task<ISkybridgeStore> OpenFreshAsync();

    /// <summary>A second store instance over the same storage (as a second node would open it).</summary>
    protected abstract ISkybridgeStore OpenSecondInstance();

    public async ValueTask InitializeAsync()
    {
        Store = await OpenFreshAsync();
        await Store.MigrateAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static NewManifestVersion Manifest(string workflow, string content, string level = "L0-draft", string by = "maria") => new()
    {
        WorkflowId = workflow,
        WorkflowName = "Workflow " + workflow,
        Yaml = content,
        ContentHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content))),
        AutonomyLevel = level,
        PublishedBy = by,
        PublishedAt = T0,
    };

    [Fact]
    public async Task Migrate_Twice_ChangesNothing_AndReportsTheSchemaVersion()
    {
        var before = await Store.GetSchemaVersionAsync(Ct);
        await Store.MigrateAsync(Ct);
        Assert.True(before >= 1);
        Assert.Equal(before, await Store.GetSchemaVersionAsync(Ct));
        Assert.True(await Store.PingAsync(Ct));
    }

    [Fact]
    public async Task Migrate_FromTwoInstancesAtOnce_AppliesEachMigrationOnce()
    {
        await using var a = OpenSecondInstance();
        await using var b = OpenSecondInstance();
        await Task.WhenAll(a.MigrateAsync(Ct), b.MigrateAsync(Ct), Store.MigrateAsync(Ct));
        Assert.Equal(await Store.GetSchemaVersionAsync(Ct), await a.GetSchemaVersionAsync(Ct));
        Assert.True((await b.PublishManifestAsync(Manifest("support-desk", "id: a"), Ct)).Outcome == PublishOutcome.Published);
    }

    [Fact]
    public async Task Publish_NumbersVersionsPerWorkflow_AndKeepsWhoAndWhen()
    {
        var first = await Store.PublishManifestAsync(Manifest("support-desk", "v: 1"), Ct);
        var second = await Store.PublishManifestAsync(Manifest("support-desk", "v: 2", by: "jonas"), Ct);
        var other = await Store.PublishManifestAsync(Manifest("billing", "v: 1"), Ct);

        Assert.Equal((PublishOutcome.Published, 1), (first.Outcome, first.Version.Version));
        Assert.Equal((PublishOutcome.Published, 2), (second.Outcome, second.Version.Version));
        Assert.Equal(1, other.Version.Version);

        var versions = await Store.ListVersionsAsync("support-desk", Ct);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal("jonas", versions[0].PublishedBy);
        Assert.Equal(T0, versions[0].PublishedAt);
        Assert.Equal("", versions[0].Yaml);

        var stored = await Store.GetVersionAsync("support-desk", 1, Ct);
        Assert.Equal("v: 1", stored!.Yaml);
        Assert.Equal(first.Version.ContentHash, stored.ContentHash);
        Assert.Null(await Store.GetVersionAsync("support-desk", 3, Ct));
        Assert.Empty(await Store.ListVersionsAsync("unknown", Ct));
    }

    [Fact]
    public async Task Publish_SameContentAgain_StoresNothing_AndReturnsTheExistingVersion()
    {
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 1"), Ct);
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 2"), Ct);
        var again = await Store.PublishManifestAsync(Manifest("support-desk", "v: 1"), Ct);
        Assert.Equal(PublishOutcome.AlreadyPublished, again.Outcome);
        Assert.Equal(1, again.Version.Version);
        Assert.Equal(2, (await Store.ListVersionsAsync("support-desk", Ct)).Count);
    }

    [Fact]
    public async Task Publish_ConcurrentFromTwoInstances_GetsDistinctConsecutiveNumbers()
    {
        await using var second = OpenSecondInstance();
        var tasks = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? Store : second).PublishManifestAsync(Manifest("support-desk", $"v: {i}"), Ct));
        var results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(1, 10), results.Select(r => r.Version.Version).Order());
    }

    [Fact]
    public async Task Workflows_ShowActiveVersionAndItsAutonomyLevel()
    {
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 1", level: "L0-draft"), Ct);
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 2", level: "L1-approve-all"), Ct);
        var before = await Store.GetWorkflowAsync("support-desk", Ct);
        Assert.Null(before!.ActiveVersion);
        Assert.Null(before.AutonomyLevel);
        Assert.Equal(2, before.LatestVersion);

        await Store.ActivateAsync("support-desk", 2, "maria", null, Ct);
        var after = (await Store.ListWorkflowsAsync(Ct)).Single();
        Assert.Equal(("support-desk", 2, "L1-approve-all"), (after.Id, after.ActiveVersion, after.AutonomyLevel));
        Assert.Null(await Store.GetWorkflowAsync("nope", Ct));
    }

    [Fact]
    public async Task Activate_ReportsUnknownWorkflowVersionAndAlreadyActive()
    {
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 1"), Ct);
        Assert.Equal(ActivationOutcome.UnknownWorkflow, (await Store.ActivateAsync("nope", 1, "maria", null, Ct)).Outcome);
        Assert.Equal(ActivationOutcome.UnknownVersion, (await Store.ActivateAsync("support-desk", 5, "maria", null, Ct)).Outcome);
        Assert.Equal(ActivationOutcome.Activated, (await Store.ActivateAsync("support-desk", 1, "maria", null, Ct)).Outcome);
        Assert.Equal(ActivationOutcome.AlreadyActive, (await Store.ActivateAsync("support-desk", 1, "maria", null, Ct)).Outcome);
        Assert.Single(await Store.ListActivationsAsync("support-desk", Ct));
    }

    [Fact]
    public async Task Activations_KeepHowTheyPassedTheGate_AndRollbacksCarryNone()
    {
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 1"), Ct);
        await Store.PublishManifestAsync(Manifest("support-desk", "v: 2"), Ct);
        var cleared = await Store.ActivateAsync("support-desk", 1, "maria", new ActivationBasis(ActivationBasis.Evaluation, "run-00000000000000a1", null), Ct);
        await Store.ActivateAsync("support-desk", 2, "maria", new ActivationBasis(ActivationBasis.Override, "run-00000000000000b2", "pilot kick-off before the bar is agreed"), Ct);
        await Store.RollbackAsync("support-desk", "olu", Ct);

        Assert.Equal(ActivationBasis.Evaluation, cleared.Activation!.Basis!.Gate);
        var history = await Store.ListActivationsAsync("support-desk", Ct);
        Assert.Null(history[0].Basis);
        Assert.Equal(new ActivationBasis(ActivationBasis.Override, "run-00000000000000b2", "pilot kick-off before the bar is agreed"), history[1].Basis);
        Assert.Equal(new ActivationBasis(ActivationBasis.Evaluation, "run-00000000000000a1", null), history[2].Basis);
    }

    [Fact]
    public async Task Rollback_WalksBackThroughTheActivationHistory()
    {
        for (var i = 1; i <= 3; i++)
        {
            await Store.PublishManifestAsync(Manifest("support-desk", $"v: {i}"), Ct);
            await Store.ActivateAsync("support-desk", i, "maria", null, Ct);
        }

        var first = await Store.RollbackAsync("support-desk", "olu", Ct);
        Assert.Equal((ActivationOutcome.Activated, 2, 3, "rollback"), (first.Outcome, first.Activation!.Version, first.Activation.PreviousVersion, first.Activation.Kind));
        var second = await Store.RollbackAsync("support-desk", "olu", Ct);
        Assert.Equal(1, second.Activation!.Version);
        Assert.Equal(ActivationOutcome.NothingToRollBackTo, (await Store.RollbackAsync("support-desk", "olu", Ct)).Outcome);
        Assert.Equal(1, (await Store.GetWorkflowAsync("support-desk", Ct))!.ActiveVersion);

        // Activating after a rollback pushes again: the next rollback returns to where we were.
        await Store.ActivateAsync("support-desk", 3, "maria", null, Ct);
        Assert.Equal(1, (await Store.RollbackAsync("support-desk", "olu", Ct)).Activation!.Version);

        var history = await Store.ListActivationsAsync("support-desk", Ct);
        Assert.Equal(["rollback", "activate", "rollback", "rollback", "activate", "activate", "activate"], history.Select(a => a.Kind));
        Assert.Equal("olu", history[0].Actor);
        Assert.Equal(ActivationOutcome.UnknownWorkflow, (await Store.RollbackAsync("nope", "olu", Ct)).Outcome);
    }

    [Fact]
    public async Task AutonomyGrants_AreKeptInOrder()
    {
        Assert.Empty(await Store.ListAutonomyGrantsAsync("support-desk", Ct));
        await Store.RecordAutonomyGrantAsync(new AutonomyGrant { WorkflowId = "support-desk", Level = "L1-approve-all", GrantedBy = "maria", GrantedAt = T0, Evidence = "eval-run 12" }, Ct);
        await Store.RecordAutonomyGrantAsync(new AutonomyGrant { WorkflowId = "support-desk", Level = "L2-approve-consequential", GrantedBy = "maria", GrantedAt = T0.AddDays(30), Evidence = "eval-run 40" }, Ct);
        var grants = await Store.ListAutonomyGrantsAsync("support-desk", Ct);
        Assert.Equal(["L1-approve-all", "L2-approve-consequential"], grants.Select(g => g.Level));
        Assert.Equal(T0.AddDays(30), grants[1].GrantedAt);
        Assert.Empty(await Store.ListAutonomyGrantsAsync("billing", Ct));
    }

    private static NewUser User(string name) => new() { UserName = name, DisplayName = name.ToUpperInvariant(), PasswordHash = "hash-of-" + name, CreatedAt = T0 };

    [Fact]
    public async Task Users_AreUniqueIgnoringCase()
    {
        Assert.True(await Store.CreateUserAsync(User("Maria.Lopez"), Ct));
        Assert.False(await Store.CreateUserAsync(User("maria.lopez"), Ct));
        var found = await Store.GetUserAsync("MARIA.LOPEZ", Ct);
        Assert.Equal("Maria.Lopez", found!.UserName);
        Assert.Equal("hash-of-Maria.Lopez", found.PasswordHash);
        Assert.Equal(T0, found.CreatedAt);
        Assert.Single(await Store.ListUsersAsync(Ct));
        Assert.Null(await Store.GetUserAsync("nobody", Ct));
    }

    [Fact]
    public async Task SignInFailures_LockTheAccount_AtTheLimit_AndSuccessClearsThem()
    {
        await Store.CreateUserAsync(User("dana"), Ct);
        for (var i = 1; i <= 2; i++)
        {
            var counted = await Store.RecordSignInFailureAsync("dana", T0, 3, TimeSpan.FromMinutes(15), Ct);
            Assert.Equal(i, counted!.FailedSignIns);
            Assert.Null(counted.LockedUntil);
        }

        var locked = await Store.RecordSignInFailureAsync("dana", T0, 3, TimeSpan.FromMinutes(15), Ct);
        Assert.Equal(T0.AddMinutes(15), locked!.LockedUntil);
        Assert.Equal(0, locked.FailedSignIns);

        await Store.RecordSignInSuccessAsync("dana", T0.AddHours(1), Ct);
        var after = await Store.GetUserAsync("dana", Ct);
        Assert.Null(after!.LockedUntil);
        Assert.Equal(T0.AddHours(1), after.LastSignInAt);
        Assert.Null(await Store.RecordSignInFailureAsync("nobody", T0, 3, TimeSpan.FromMinutes(1), Ct));
    }

    [Fact]
    public async Task SignInFailures_FromManyRequestsAtOnce_AreAllCounted()
    {
        await Store.CreateUserAsync(User("dana"), Ct);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.RecordSignInFailureAsync("dana", T0, 100, TimeSpan.FromMinutes(1), Ct)));
        Assert.Equal(8, (await Store.GetUserAsync("dana", Ct))!.FailedSignIns);
    }

    [Fact]
    public async Task SetPasswordHash_ReplacesIt_AndClearsLockout()
    {
        await Store.CreateUserAsync(User("dana"), Ct);
        await Store.RecordSignInFailureAsync("dana", T0, 1, TimeSpan.FromHours(1), Ct);
        Assert.True(await Store.SetPasswordHashAsync("dana", "new-hash", Ct));
        var user = await Store.GetUserAsync("dana", Ct);
        Assert.Equal(("new-hash", (DateTimeOffset?)null), (user!.PasswordHash, user.LockedUntil));
        Assert.False(await Store.SetPasswordHashAsync("nobody", "x", Ct));
    }

    [Fact]
    public async Task RoleGrants_AddListAndRevoke_PerUserAndPerWorkflow()
    {
        await Store.CreateUserAsync(User("dana"), Ct);
        await Store.CreateUserAsync(User("root"), Ct);
        Assert.True(await Store.GrantRoleAsync("dana", "support-desk", "approver", Ct));
        Assert.False(await Store.GrantRoleAsync("DANA", "support-desk", "approver", Ct));
        Assert.True(await Store.GrantRoleAsync("dana", "billing", "auditor", Ct));
        Assert.True(await Store.GrantRoleAsync("root", RoleGrant.AllWorkflows, "admin", Ct));
        Assert.False(await Store.GrantRoleAsync("ghost", "support-desk", "owner", Ct));

        Assert.Equal(
            [new RoleGrant("dana", "billing", "auditor"), new RoleGrant("dana", "support-desk", "approver")],
            await Store.ListRoleGrantsForUserAsync("dana", Ct));
        Assert.Equal([new RoleGrant("dana", "support-desk", "approver")], await Store.ListRoleGrantsForWorkflowAsync("support-desk", includeGlobal: false, Ct));
        Assert.Equal(2, (await Store.ListRoleGrantsForWorkflowAsync("support-desk", includeGlobal: true, Ct)).Count);

        Assert.True(await Store.RevokeRoleAsync("dana", "support-desk", "approver", Ct));
        Assert.False(await Store.RevokeRoleAsync("dana", "support-desk", "approver", Ct));
        Assert.Equal([new RoleGrant("dana", "billing", "auditor")], await Store.ListRoleGrantsForUserAsync("dana", Ct));
    }
}
