using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Skybridge.Application.Hosting;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Identity;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Tokens;

/// <summary>
/// A node's refresh reads its state in separate statements, and another node's halt or disable can commit between any
/// two of them. Whatever the moment, the node must never refuse the workflow's (or agent's) old tokens while still
/// issuing new ones: the halt known to token validation is the halt known to the token endpoint.
/// </summary>
public sealed class IdentityStateRefreshTests
{
    private const string Workflow = "support-desk";
    private const string ClientId = "support-desk/responder";
    private static readonly string[] Reads = ["ListTokenCutoffsAsync", "ListAgentsAsync", "ListHaltsAsync", "ListRevokedTokensAsync", "ListWorkflowsAsync"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Moments()
    {
        var data = new TheoryData<string, string>();
        foreach (var change in new[] { "halt", "disable" })
        {
            foreach (var read in Reads)
            {
                data.Add(change, read);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task Refresh_NeverRefusesOldTokensWhileIssuingNewOnes_WhenAHaltOrDisableCommitsBetweenItsReads(string change, string afterRead)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
        await using var test = await TestStore.OpenAsync();
        var yaml = await File.ReadAllTextAsync(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "manifest.yaml"), Ct);
        var published = await new ManifestService(test.Store, time, test.Ledger).PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true,
            new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        Assert.True(await test.Store.CreateAgentAsync(new NewAgent
        {
            ClientId = ClientId,
            WorkflowId = Workflow,
            Name = "responder",
            Role = "responder",
            CreatedBy = "ann",
            CreatedAt = time.GetUtcNow(),
            Key = new AgentKey("kid-1", """{"kty":"EC"}""", time.GetUtcNow()),
        }, Ct));

        var options = new SkybridgeNodeOptions { NodeId = "node-b" };
        var store = ChangingStore.Over(test.Store);
        var state = new IdentityState(store, time, options);
        await state.RefreshAsync(Ct);
        var issuedBefore = Claims(time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(1));

        // Another node halts the workflow (or disables the agent) right after this node's refresh made the named read.
        ((ChangingStore)(object)store).After(afterRead, () => change == "halt"
            ? test.Store.HaltWorkflowAsync(new WorkflowHalt(Workflow, "ops", "refunds misfiring", time.GetUtcNow()), Ct)
            : test.Store.SetAgentStatusAsync(ClientId, AgentStatuses.Disabled, time.GetUtcNow(), Ct));
        await state.RefreshAsync(Ct);
        time.Advance(TimeSpan.FromSeconds(1));

        var validator = new TokenValidator(state, new TokenSigningKeys(test.Store, time, options), new IssuerUrls(options, () => "http://127.0.0.1:1"), options);
        var oldRefused = validator.CheckState(issuedBefore);
        var newRefused = validator.CheckState(Claims(time.GetUtcNow()));
        Assert.True(oldRefused is null == newRefused is null, $"an old token {(oldRefused is null ? "counts" : "is refused: " + oldRefused.Description)}, a new one {(newRefused is null ? "counts" : "is refused: " + newRefused.Description)}");

        // The token endpoint: the client authenticator admits active agents only, then the grant decides.
        var agent = state.Agent(ClientId)!;
        var grant = new ClientCredentialsGrant(state, new IssuerUrls(options, () => "http://127.0.0.1:1"), options)
            .Decide(agent, new Dictionary<string, string>(), new DPoPProof("thumbprint", "proof-1", time.GetUtcNow()), time.GetUtcNow());
        var issued = agent.Status == AgentStatuses.Active && grant is GrantResult.Granted;
        Assert.True(oldRefused is null == issued, oldRefused is null
            ? "the node still takes the old token but refuses to issue a new one"
            : $"the node refuses the old token ({oldRefused.Description}) yet issues a new one");
    }

    private static AccessTokenClaims Claims(DateTimeOffset issuedAt) => new()
    {
        Issuer = "http://127.0.0.1:1",
        Subject = Core.Access.Subject.Agent(ClientId).ToString(),
        Audiences = ["http://127.0.0.1:1/api"],
        ClientId = ClientId,
        Scope = ScopeSet.Of(["actions:propose"]),
        IssuedAt = issuedAt,
        ExpiresAt = issuedAt + TimeSpan.FromMinutes(5),
        TokenId = Guid.NewGuid().ToString("N"),
        KeyThumbprint = "thumbprint",
        Workflow = Workflow,
        Role = "responder",
    };

    /// <summary>The store, forwarding every call, that runs a change once right after the named read returned.</summary>
    public class ChangingStore : DispatchProxy
    {
        private ISkybridgeStore _inner = null!;
        private string? _after;
        private Func<Task>? _change;

        public static ISkybridgeStore Over(ISkybridgeStore inner)
        {
            var proxy = Create<ISkybridgeStore, ChangingStore>();
            ((ChangingStore)(object)proxy)._inner = inner;
            return proxy;
        }

        public void After(string read, Func<Task> change)
        {
            _after = read;
            _change = change;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            object? result;
            try
            {
                result = targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }

            if (targetMethod.Name != _after || Interlocked.Exchange(ref _change, null) is not { } change)
            {
                return result;
            }

            // The read's own task type, completed after the change: Task<IReadOnlyList<T>> for every refresh read.
            var then = typeof(ChangingStore).GetMethod(nameof(ThenAsync), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]);
            return then.Invoke(null, [result, change]);
        }

        private static async Task<T> ThenAsync<T>(Task<T> read, Func<Task> change)
        {
            var value = await read.ConfigureAwait(false);
            await change().ConfigureAwait(false);
            return value;
        }
    }
}
