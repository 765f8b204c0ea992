using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Accounts;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Application.Connectors;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// A system of record as the action path sees it: it counts every call per idempotency key, does each key's work once
/// (as the sample system does), and can be told to fail or to hang until released.
/// </summary>
internal sealed class RecordingSystem : IConnectors
{
    public ConcurrentDictionary<string, int> CallsByKey { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<string> Done { get; } = [];

    public Func<ConnectorCall, ConnectorResult>? Answer { get; set; }

    public IConnector For(Skybridge.Core.Manifests.Connector connector) => throw new NotSupportedException();

    public Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken)
    {
        if (CallsByKey.AddOrUpdate(call.IdempotencyKey, 1, (_, n) => n + 1) == 1)
        {
            Done.Add(call.Action + " " + call.Parameters.GetRawText());
        }

        return Task.FromResult(Answer?.Invoke(call) ?? new ConnectorResult
        {
            Outcome = ConnectorOutcome.Executed,
            KnownNotExecuted = false,
            StatusCode = 201,
            Reference = "ref-" + call.IdempotencyKey,
            Body = JsonDocument.Parse("""{"ok":true}""").RootElement,
            Attempts = 1,
        });
    }
}

/// <summary>
/// The action path over a real SQLite store and ledger, with the sample manifest at a chosen autonomy level and the
/// refund approvers named as local people.
/// </summary>
internal sealed class ActionFixture : IAsyncDisposable
{
    private readonly TestStore _test;

    private ActionFixture(TestStore test, ActiveManifest active, TimeProvider time)
    {
        _test = test;
        Active = active;
        var manifests = new FixedManifests(this);
        Executor = new ActionExecutor(test.Store, manifests, System, test.Ledger, TimeProvider.System, w => Halted, "node-a");
        Pipeline = new ActionPipeline(
            [
                new IdempotencyStep(),
                new SchemaStep(manifests, new PolicyCache()),
                new PolicyStep(w => Halted, TimeSpan.FromHours(1)),
                new BudgetStep(test.Store),
                new RecordStep(test.Ledger, "node-a"),
                new ExecuteStep(Executor),
            ], test.Store, test.Ledger, time);
        Editing = new ApprovalEditing(Pipeline, manifests, (id, ct) => Task.FromResult<string?>(id == "support-desk/responder" ? "responder" : null), test.Store);
        Groups = new GroupService(test.Store, test.Ledger, TimeProvider.System);
        Approvals = new ApprovalService(test.Store, test.Ledger, Executor, TimeProvider.System, w => Halted, Groups, Editing);
    }

    public ActiveManifest Active { get; set; }

    public RecordingSystem System { get; } = new();

    public bool Halted { get; set; }

    public ActionPipeline Pipeline { get; }

    public ActionExecutor Executor { get; }

    public ApprovalService Approvals { get; }

    /// <summary>What approve-with-edits needs (the agent's role is <c>responder</c>).</summary>
    public ApprovalEditing Editing { get; }

    /// <summary>Group memberships, which approvals read at each decision.</summary>
    public GroupService Groups { get; }

    public ISkybridgeStore Store => _test.Store;

    public Skybridge.Application.Ledger.LedgerWriter Ledger => _test.Ledger;

    /// <summary>
    /// The sample at <paramref name="level"/>, with refunds approved by lee or kim (two people where a rule asks for two),
    /// or by <paramref name="refundApprovers"/> as the manifest writes them.
    /// </summary>
    public static async Task<ActionFixture> StartAsync(string level = "L2-approve-consequential", string? extraRule = null, TimeProvider? time = null,
        string refundApprovers = "user:lee, user:kim")
    {
        var test = await TestStore.OpenAsync();
        var yaml = File.ReadAllText(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "manifest.yaml"));
        yaml = yaml.Replace("level: L0-draft", "level: " + level, StringComparison.Ordinal);
        yaml = global::System.Text.RegularExpressions.Regex.Replace(yaml, @"refund: \[[^\]]*\]", "refund: [" + refundApprovers + "]");
        if (extraRule is not null)
        {
            yaml = yaml.Replace("  rules:\n", "  rules:\n" + extraRule, StringComparison.Ordinal);
        }

        var loaded = Skybridge.Core.Manifests.ManifestLoader.Load(yaml, "manifest.yaml", new Skybridge.Core.Manifests.ManifestValidationContext
        {
            FileExists = _ => true,
            EvidencedLevel = Skybridge.Core.Manifests.AutonomyLevel.L2ApproveConsequential,
        });
        Assert.True(loaded.Manifest is not null, string.Join("\n", loaded.Diagnostics));
        return new ActionFixture(test, new ActiveManifest(loaded.Manifest.Id, 1, loaded.Manifest), time ?? TimeProvider.System);
    }

    public static ActionProposal Refund(double amount, string key, string caseId = "case-1") => new()
    {
        WorkflowId = "support-desk",
        CaseId = caseId,
        Action = "refund",
        Parameters = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = amount, ["currency"] = "EUR" },
        IdempotencyKey = key,
        Requester = "support-desk/responder",
        RequesterRole = "responder",
        RequesterKey = "jkt-responder",
        Actors = [LedgerActor.Agent("support-desk/responder")],
    };

    public async Task<IReadOnlyList<StoredLedgerEvent>> TrailAsync(string caseId = "case-1") =>
        await _test.Store.ReadLedgerCaseAsync(caseId, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _test.DisposeAsync();

    private sealed class FixedManifests(ActionFixture fixture) : IActiveManifests
    {
        public ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ActiveManifest?>(workflowId == fixture.Active.WorkflowId ? fixture.Active : null);
    }
}

/// <summary>One workflow's active version, as a node's snapshot would give it, for pipelines built by a test.</summary>
internal sealed class FixedActiveManifest(ActiveManifest active) : IActiveManifests
{
    public ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ActiveManifest?>(workflowId == active.WorkflowId ? active : null);
}
