namespace Skybridge.Storage.Tests.Contract;

/// <summary>The identity half of the contract: agents, signing keys, revocations, the replay guard, halts.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset I0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private async Task<string> WorkflowAsync(string id = "support-desk")
    {
        await Store.PublishManifestAsync(Manifest(id, "id: " + id), Ct);
        return id;
    }

    private static NewAgent Agent(string workflow, string name, string keyId = "k1") => new()
    {
        ClientId = workflow + "/" + name, WorkflowId = workflow, Name = name, Role = "responder", CreatedBy = "maria", CreatedAt = I0,
        Key = new AgentKey(keyId, "{\"kty\":\"EC\",\"kid\":\"" + keyId + "\"}", I0),
    };

    [Fact]
    public async Task Agents_RegisterOnce_ListPerWorkflow_DisableAndRotate()
    {
        var wf = await WorkflowAsync();
        var other = await WorkflowAsync("billing");
        Assert.True(await Store.CreateAgentAsync(Agent(wf, "r1"), Ct));
        Assert.False(await Store.CreateAgentAsync(Agent(wf, "r1", "k9"), Ct));
        Assert.True(await Store.CreateAgentAsync(Agent(other, "b1"), Ct));

        var listed = await Store.ListAgentsAsync(wf, Ct);
        var r1 = Assert.Single(listed);
        Assert.Equal(("support-desk/r1", "active", "k1", I0), (r1.ClientId, r1.Status, Assert.Single(r1.Keys).KeyId, r1.CreatedAt));
        Assert.Equal(2, (await Store.ListAgentsAsync(null, Ct)).Count);

        Assert.True(await Store.SetAgentStatusAsync("support-desk/r1", AgentStatuses.Disabled, I0.AddMinutes(1), Ct));
        Assert.False(await Store.SetAgentStatusAsync("support-desk/r1", AgentStatuses.Disabled, I0.AddMinutes(2), Ct));
        Assert.Equal(AgentStatuses.Disabled, (await Store.GetAgentAsync("support-desk/r1", Ct))!.Status);

        Assert.True(await Store.ReplaceAgentKeyAsync("support-desk/r1", new AgentKey("k2", "{}", I0.AddMinutes(3)), Ct));
        Assert.False(await Store.ReplaceAgentKeyAsync("support-desk/r1", new AgentKey("k2", "{}", I0.AddMinutes(4)), Ct));
        Assert.False(await Store.ReplaceAgentKeyAsync("support-desk/nobody", new AgentKey("k3", "{}", I0), Ct));
        Assert.Equal("k2", Assert.Single((await Store.GetAgentAsync("support-desk/r1", Ct))!.Keys).KeyId);
        Assert.Null(await Store.GetAgentAsync("support-desk/nobody", Ct));
    }

    [Fact]
    public async Task SigningKeys_RetiredOnesStayUntilTheirOverlapEnds()
    {
        await Store.PublishSigningKeyAsync(new TokenSigningKey("old", "node-a", "{\"kid\":\"old\"}", I0, null), Ct);
        await Store.PublishSigningKeyAsync(new TokenSigningKey("new", "node-a", "{\"kid\":\"new\"}", I0.AddDays(30), null), Ct);
        await Store.PublishSigningKeyAsync(new TokenSigningKey("new", "node-b", "{}", I0, null), Ct);
        await Store.RetireSigningKeyAsync("old", I0.AddDays(30), Ct);

        Assert.Equal(["new", "old"], (await Store.ListSigningKeysAsync(I0.AddDays(29), Ct)).Select(k => k.KeyId));
        Assert.Equal("node-a", (await Store.ListSigningKeysAsync(I0, Ct))[0].NodeId);
        Assert.Equal(["new"], (await Store.ListSigningKeysAsync(I0.AddDays(31), Ct)).Select(k => k.KeyId));
    }

    [Fact]
    public async Task Revocations_AreKeptWhileTheTokenCouldStillBeUsed()
    {
        Assert.True(await Store.RevokeTokenAsync(new RevokedToken("t1", "support-desk/r1", I0.AddMinutes(5), I0), Ct));
        Assert.False(await Store.RevokeTokenAsync(new RevokedToken("t1", "support-desk/r1", I0.AddMinutes(5), I0), Ct));
        Assert.True(await Store.RevokeTokenAsync(new RevokedToken("t2", "support-desk/r1", I0.AddMinutes(1), I0), Ct));
        Assert.Equal(["t1"], (await Store.ListRevokedTokensAsync(I0.AddMinutes(2), Ct)).Select(r => r.TokenId));
    }

    [Fact]
    public async Task ReplayGuard_RefusesASecondUseUntilTheWindowCloses_AcrossInstances()
    {
        await using var second = OpenSecondInstance();
        Assert.True(await Store.TryUseOnceAsync("dpop:k:j1", I0.AddMinutes(2), I0, Ct));
        Assert.False(await second.TryUseOnceAsync("dpop:k:j1", I0.AddMinutes(2), I0.AddMinutes(1), Ct));
        Assert.True(await second.TryUseOnceAsync("dpop:k:j2", I0.AddMinutes(2), I0, Ct));
        // Once its window has closed the entry may be reused: the old proof can no longer be accepted anyway.
        Assert.True(await Store.TryUseOnceAsync("dpop:k:j1", I0.AddMinutes(10), I0.AddMinutes(3), Ct));
        Assert.False(await Store.TryUseOnceAsync("dpop:k:j1", I0.AddMinutes(10), I0.AddMinutes(4), Ct));
    }

    [Fact]
    public async Task ReplayGuard_ConcurrentUsesOfOneId_LetExactlyOneThrough()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.TryUseOnceAsync("assertion:c:same", I0.AddMinutes(5), I0, Ct)));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task TokenCutoffs_DisableAndHaltRaiseThem_AndTheyNeverMoveBack()
    {
        var wf = await WorkflowAsync();
        Assert.True(await Store.CreateAgentAsync(Agent(wf, "r1"), Ct));
        Assert.Empty(await Store.ListTokenCutoffsAsync(Ct));

        Assert.True(await Store.SetAgentStatusAsync(wf + "/r1", AgentStatuses.Disabled, I0.AddMinutes(1), Ct));
        Assert.False(await Store.SetAgentStatusAsync(wf + "/r1", AgentStatuses.Disabled, I0.AddMinutes(2), Ct)); // no change, no new cutoff
        Assert.True(await Store.HaltWorkflowAsync(new WorkflowHalt(wf, "ops", "x", I0.AddMinutes(3)), Ct));
        Assert.True(await Store.ResumeWorkflowAsync(wf, I0.AddMinutes(2), Ct)); // its cutoff is earlier than the halt's: ignored
        await Store.RaiseTokenCutoffAsync(new TokenCutoff(TokenCutoffKinds.Workflow, wf, I0), Ct); // earlier: ignored

        var cutoffs = (await Store.ListTokenCutoffsAsync(Ct)).OrderBy(c => c.Kind).ToList();
        Assert.Equal(
            [new TokenCutoff(TokenCutoffKinds.Agent, wf + "/r1", I0.AddMinutes(1)), new TokenCutoff(TokenCutoffKinds.Workflow, wf, I0.AddMinutes(3))],
            cutoffs);

        await Store.RaiseTokenCutoffAsync(new TokenCutoff(TokenCutoffKinds.Workflow, wf, I0.AddMinutes(4)), Ct);
        Assert.Contains(new TokenCutoff(TokenCutoffKinds.Workflow, wf, I0.AddMinutes(4)), await Store.ListTokenCutoffsAsync(Ct));
    }

    [Fact]
    public async Task Halts_HaltOnceResumeOnce_UnknownWorkflowsCannotBeHalted()
    {
        var wf = await WorkflowAsync();
        Assert.True(await Store.HaltWorkflowAsync(new WorkflowHalt(wf, "ops", "refunds misfiring", I0), Ct));
        Assert.False(await Store.HaltWorkflowAsync(new WorkflowHalt(wf, "ops", "again", I0), Ct));
        Assert.False(await Store.HaltWorkflowAsync(new WorkflowHalt("nope", "ops", "x", I0), Ct));
        var halt = Assert.Single(await Store.ListHaltsAsync(Ct));
        Assert.Equal(("ops", "refunds misfiring", I0), (halt.HaltedBy, halt.Reason, halt.At));
        Assert.True(await Store.ResumeWorkflowAsync(wf, I0.AddMinutes(5), Ct));
        Assert.False(await Store.ResumeWorkflowAsync(wf, I0.AddMinutes(6), Ct));
        Assert.Empty(await Store.ListHaltsAsync(Ct));
        // The resume voided, with it, every token of the workflow issued before it; the refused second resume did not.
        Assert.Contains(new TokenCutoff(TokenCutoffKinds.Workflow, wf, I0.AddMinutes(5)), await Store.ListTokenCutoffsAsync(Ct));
    }

    [Fact]
    public async Task SharedSecret_TheFirstWriterDecides()
    {
        await using var second = OpenSecondInstance();
        var a = await Store.GetOrCreateSharedSecretAsync("dpop-nonce", "first", I0, Ct);
        var b = await second.GetOrCreateSharedSecretAsync("dpop-nonce", "second", I0, Ct);
        Assert.Equal(("first", "first"), (a, b));
    }

    [Fact]
    public async Task SharedSecret_IsReplacedOnlyFromTheExpectedValue()
    {
        await Store.GetOrCreateSharedSecretAsync("dpop-nonce", "clear", I0, Ct);
        Assert.False(await Store.ReplaceSharedSecretAsync("dpop-nonce", "other", "sealed", Ct));
        Assert.True(await Store.ReplaceSharedSecretAsync("dpop-nonce", "clear", "sealed", Ct));
        Assert.Equal("sealed", await Store.GetOrCreateSharedSecretAsync("dpop-nonce", "new", I0, Ct));
    }

    [Fact]
    public async Task MappedRoles_OnlyTheMappingsGrantsGoWithTheGroup()
    {
        await Store.CreateUserAsync(new NewUser { UserName = "sso.dana", DisplayName = "Dana", PasswordHash = "x", CreatedAt = I0 }, Ct);
        await Store.GrantRoleAsync("sso.dana", "support-desk", "reviewer", Ct); // by hand
        var first = await Store.SyncMappedRolesAsync("sso.dana", [("support-desk", "approver"), ("support-desk", "reviewer")], Ct);
        Assert.Equal([("support-desk", "approver")], first.Granted);
        Assert.Empty(first.Revoked);

        var second = await Store.SyncMappedRolesAsync("sso.dana", [], Ct);
        Assert.Equal([("support-desk", "approver")], second.Revoked);
        Assert.Equal(["reviewer"], (await Store.ListRoleGrantsForUserAsync("sso.dana", Ct)).Select(g => g.Role));

        // A mapped grant revoked by hand is no longer the mapping's: granting it by hand later keeps it.
        await Store.SyncMappedRolesAsync("sso.dana", [("billing", "operator")], Ct);
        Assert.True(await Store.RevokeRoleAsync("sso.dana", "billing", "operator", Ct));
        await Store.GrantRoleAsync("sso.dana", "billing", "operator", Ct);
        Assert.Empty((await Store.SyncMappedRolesAsync("sso.dana", [], Ct)).Revoked);
    }

    [Fact]
    public async Task Session_RevokedOnOneNode_IsEndedOnEvery_AndOldOnesAreForgotten()
    {
        await using var second = OpenSecondInstance();
        await Store.CreateSessionAsync("old", "dana", I0.AddDays(-40), I0.AddDays(-70), Ct);
        await Store.CreateSessionAsync("s1", "dana", I0, I0.AddDays(-30), Ct);
        Assert.True(await second.IsSessionActiveAsync("s1", I0.AddDays(-30), Ct));
        Assert.False(await second.IsSessionActiveAsync("old", I0.AddDays(-30), Ct));
        Assert.False(await second.IsSessionActiveAsync("unknown", I0.AddDays(-30), Ct));

        Assert.True(await second.RevokeSessionAsync("s1", I0.AddHours(1), Ct));
        Assert.False(await second.RevokeSessionAsync("s1", I0.AddHours(2), Ct));
        Assert.False(await Store.IsSessionActiveAsync("s1", I0.AddDays(-30), Ct));
    }
}
