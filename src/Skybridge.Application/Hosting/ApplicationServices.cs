using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Access;
using Skybridge.Application.Accounts;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Application.Connectors;
using Skybridge.Application.Agents;
using Skybridge.Application.Cases;
using Skybridge.Application.Governance;
using Skybridge.Application.Grounding;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Notifications;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Introspection;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Tokens.Revocation;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Storage;

namespace Skybridge.Application.Hosting;

/// <summary>Registers the application layer of one node: the use cases every host shares.</summary>
public static class ApplicationServices
{
    /// <summary>
    /// The store, the ledger writer and checkpoints, accounts and access, manifests, agents and tokens, the kill switch and
    /// grounding. The host adds how the node is reached: <see cref="IssuerUrls"/> (it knows where it listens), HTTP,
    /// pages. The caller owns <paramref name="store"/> and has migrated it.
    /// </summary>
    public static IServiceCollection AddSkybridgeApplication(this IServiceCollection services, SkybridgeNodeOptions options, ISkybridgeStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(store);
        // Each area's store on its own, so that a use case asks for what it touches and no more.
        services.AddSingleton<IWorkflowStore>(store);
        services.AddSingleton<IPeopleStore>(store);
        services.AddSingleton<IAgentStore>(store);
        services.AddSingleton<ITokenStore>(store);
        services.AddSingleton<ISourceStore>(store);
        services.AddSingleton<ICaseStore>(store);
        services.AddSingleton<IActionStore>(store);
        services.AddSingleton<ILedgerStore>(store);
        services.AddSingleton<IWebhookStore>(store);
        services.AddSingleton<IEvaluationStore>(store);

        // Start-up work first: hosted services start in the order they were added.
        services.AddSingleton<NodeSecrets>();
        services.AddHostedService<NodeStartup>();

        services.AddSingleton(sp => new LedgerWriter(store, sp.GetRequiredService<TimeProvider>(), options.NodeId));
        services.AddSingleton<ILedger>(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddSingleton(sp => new LedgerService(store, sp.GetRequiredService<TimeProvider>(), null));
        services.AddHostedService<CheckpointService>();
        services.AddSingleton(sp => new LedgerReplay(store, sp.GetRequiredService<LedgerService>(), sp.GetRequiredService<ILedger>()));
        services.AddSingleton(sp => new CaseViews(store, store, sp.GetRequiredService<LedgerReplay>(), sp.GetRequiredService<ILedger>()));
        services.AddSingleton(_ => new AgentActivity(store, store));
        services.AddSingleton(sp => new PolicyReplay(store, store, store, sp.GetRequiredService<TimeProvider>()));

        services.AddSingleton<AccountService>();
        services.AddSingleton<GroupService>();
        services.AddSingleton<IPeopleDirectory>(sp => sp.GetRequiredService<GroupService>());
        services.AddSingleton<AccessService>();
        services.AddSingleton(sp => new ManifestService(store, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<IdentityState>()));

        services.AddSingleton<IdentityState>();
        services.AddSingleton<TokenSigningKeys>();
        // One node (SQLite) remembers replays in memory; several nodes share one table so a proof used on one is refused on all.
        services.AddSingleton<IReplayGuard>(sp => store.Provider == "sqlite"
            ? new MemoryReplayGuard(sp.GetRequiredService<TimeProvider>())
            : new StoreReplayGuard(store, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<NodeSecrets>().Nonces);
        services.AddSingleton<DeviceAuthorizationService>();
        services.AddSingleton<ServerNonces>();
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<TokenRefusals>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<ClientCredentialsGrant>();
        services.AddSingleton<TokenExchangeGrant>();
        services.AddSingleton<DeviceCodeGrant>();
        services.AddSingleton<TokenSigner>();
        services.AddSingleton(sp => new TokenIssuer(sp.GetRequiredService<ClientAuthenticator>(), sp.GetRequiredService<ClientCredentialsGrant>(),
            sp.GetRequiredService<TokenExchangeGrant>(), sp.GetRequiredService<DeviceCodeGrant>(), sp.GetRequiredService<TokenSigner>(),
            sp.GetRequiredService<TokenRefusals>(), sp.GetRequiredService<IReplayGuard>(), sp.GetRequiredService<ServerNonces>(),
            sp.GetRequiredService<TimeProvider>(), options));
        services.AddSingleton(sp => new TokenIntrospection(sp.GetRequiredService<ClientAuthenticator>(), sp.GetRequiredService<TokenValidator>(),
            sp.GetRequiredService<TokenRefusals>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new TokenRevocation(sp.GetRequiredService<ClientAuthenticator>(), sp.GetRequiredService<TokenValidator>(),
            sp.GetRequiredService<TokenRefusals>(), sp.GetRequiredService<IdentityState>(), sp.GetRequiredService<ILedger>(), store, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AgentService(store, store, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<IdentityState>()));
        services.AddSingleton(sp => new KillSwitch(store, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<IdentityState>(), store));
        services.AddHostedService<IdentityRefresher>();

        services.AddSingleton(sp => new GroundingService(store, store, sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>(), GroundingEmbeddings.ForNode(options, store, sp)));
        // The node answers from its in-memory snapshot of active versions (IdentityState keeps it fresh).
        services.AddSingleton<IActiveManifests>(sp => sp.GetRequiredService<IdentityState>());
        services.AddSingleton(sp => new CaseService(sp.GetRequiredService<IActiveManifests>(), sp.GetRequiredService<GroundingService>(),
            sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>(), responder: new CaseResponder(sp.GetRequiredService<ActionPipeline>(), sp.GetRequiredService<ILedger>(), () => sp.GetService<Tokens.Issuance.ConnectorTokenMinter>()?.ProofKey.Thumbprint ?? "node:" + options.NodeId), reviews: sp.GetRequiredService<Reviews.ReviewService>()));
        services.AddSingleton(sp => new Reviews.ReviewService(store, store, sp.GetRequiredService<IActiveManifests>(), sp.GetRequiredService<IPeopleDirectory>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>(), golden: new Reviews.GoldenReferences(store, store)));
        services.AddHostedService(sp => new Reviews.ReviewOverdueFlagger(store, sp.GetRequiredService<IActiveManifests>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>()));
        // The action path: idempotency -> schema -> policy and ladder (approval opened here) -> budget -> ledger -> connector
        // (IConnectors comes from the host).
        services.AddSingleton(_ => new CaseWorkflows(store));
        services.AddSingleton<PolicyCache>();
        services.AddSingleton(sp => new ActionExecutor(store, sp.GetRequiredService<IActiveManifests>(), sp.GetRequiredService<IConnectors>(),
            sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>(), IsHalted(sp), options.NodeId, sp.GetService<ILogger<ActionExecutor>>()));
        services.AddSingleton(sp => new ActionPipeline(
            [
                new IdempotencyStep(),
                new SchemaStep(sp.GetRequiredService<IActiveManifests>(), sp.GetRequiredService<PolicyCache>()),
                new PolicyStep(IsHalted(sp), options.ApprovalLifetime),
                new BudgetStep(store),
                new RecordStep(sp.GetRequiredService<ILedger>(), options.NodeId),
                // The caller is answered once the result is queued on the ledger; its claim was durable before the call.
                new ExecuteStep(sp.GetRequiredService<ActionExecutor>(), answerFirst: true),
            ], store, sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ApprovalService(store, sp.GetRequiredService<ILedger>(), sp.GetRequiredService<ActionExecutor>(),
            sp.GetRequiredService<TimeProvider>(), IsHalted(sp), sp.GetRequiredService<IPeopleDirectory>(),
            ApprovalEditing.Over(sp.GetRequiredService<ActionPipeline>(), sp.GetRequiredService<IActiveManifests>(), store, store)));
        services.AddHostedService<ActionOutbox>();

        // Webhooks: the workflow's ledger events, signed, to the receivers its manifest names (IWebhookSender comes from the host).
        services.AddSingleton(sp => new WebhookSecrets(store, () => sp.GetRequiredService<NodeSecrets>().Key, sp.GetRequiredService<ILedger>()));
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }

    /// <summary>The node's view of the kill switch: refreshed twice a second from the store, at once after a local halt.</summary>
    private static Func<string, bool> IsHalted(IServiceProvider services)
    {
        var state = services.GetRequiredService<IdentityState>();
        return workflow => state.Halt(workflow) is not null;
    }
}
