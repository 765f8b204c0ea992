using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Governance;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Actions;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Governance;

/// <summary>
/// Policy replay on a real store: decisions recorded by the real action path, then decided again under a candidate
/// manifest. What flips, what stays, what the ledger cannot tell.
/// </summary>
public sealed class PolicyReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Replay_LowerRefundThreshold_FlipsExactlyTheRefundsBetweenTheThresholds()
    {
        await using var f = await ReplayFixture.StartAsync();
        var small = await f.ProposeAsync(Refund(20, "k1"));
        var middle = await f.ProposeAsync(Refund(40, "k2"));
        var upper = await f.ProposeAsync(Refund(45, "k3"));
        var large = await f.ProposeAsync(Refund(80, "k4"));
        var reply = await f.ProposeAsync(Reply("k5"));
        Assert.Equal([ActionStatuses.Executed, ActionStatuses.Executed, ActionStatuses.Executed, ActionStatuses.PendingApproval, ActionStatuses.Executed],
            [small.Status, middle.Status, upper.Status, large.Status, reply.Status]);

        var result = await f.ReplayAsync(f.Candidate(threshold: 30), null);

        Assert.Equal(PolicyReplayStatus.Replayed, result.Status);
        Assert.Equal(5, result.Decisions.Count);
        Assert.Equal([middle.ActionId, upper.ActionId], result.Flipped.Select(d => d.Recorded.ActionId));
        Assert.Equal(3, result.UnchangedCount);
        Assert.Empty(result.Uncertain);
        var flip = result.Flipped.First();
        Assert.Equal((PolicyOutcome.Allow, Disposition.Execute), (flip.Recorded.Outcome, flip.Recorded.Disposition!.Value));
        Assert.Equal((PolicyOutcome.RequireApproval, Disposition.AwaitApproval), (flip.Outcome, flip.Disposition));
        Assert.Equal(["refund-small"], flip.Recorded.Rules);
        Assert.Equal(["refund-large"], flip.Rules);

        var json = PolicyReplay.ToJson("support-desk", "candidate.yaml", result);
        Assert.Equal(2, (int)json["totals"]!["flipped"]!);
        Assert.Equal("allow", (string?)json["changes"]![0]!["old_outcome"]);
        Assert.Equal("require_approval", (string?)json["changes"]![0]!["new_outcome"]);
        Assert.Equal("await_approval", (string?)json["changes"]![0]!["new_disposition"]);
    }

    [Fact]
    public async Task Replay_SameManifest_FlipsNothing_AndTheRoleIsRecordedWithEachProposal()
    {
        await using var f = await ReplayFixture.StartAsync();
        await f.ProposeAsync(Refund(20, "k1"));
        await f.ProposeAsync(Refund(80, "k2"));

        var result = await f.ReplayAsync(f.Candidate(threshold: 50), null);

        Assert.Equal(2, result.Decisions.Count);
        Assert.Equal(2, result.UnchangedCount);
        var proposed = (await f.Store.ReadLedgerCaseAsync("case-1", Ct)).First(e => e.Type == LedgerEventTypes.ActionProposed);
        Assert.Equal("responder", JsonNode.Parse(proposed.Body)!["content"]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replay_CandidateAtApproveAll_FlipsTheDispositionOfEveryCallThatRanOnItsOwn()
    {
        await using var f = await ReplayFixture.StartAsync();
        var small = await f.ProposeAsync(Refund(20, "k1"));
        await f.ProposeAsync(Refund(80, "k2"));

        var result = await f.ReplayAsync(f.Candidate(threshold: 50, level: "L1-approve-all"), null);

        var flip = Assert.Single(result.Flipped);
        Assert.Equal(small.ActionId, flip.Recorded.ActionId);
        Assert.Equal(PolicyOutcome.Allow, flip.Outcome);
        Assert.Equal(Disposition.AwaitApproval, flip.Disposition);
    }

    [Fact]
    public async Task Replay_Since_ConsidersOnlyDecisionsInsideTheWindow()
    {
        await using var f = await ReplayFixture.StartAsync();
        await f.ProposeAsync(Refund(40, "k1"));
        f.Clock.Now = Monday.AddDays(2);
        var recent = await f.ProposeAsync(Refund(45, "k2"));
        await f.ProposeAsync(Refund(20, "k3"));
        f.Clock.Now = Monday.AddDays(2).AddHours(1);

        var lastDay = await f.ReplayAsync(f.Candidate(threshold: 30), TimeSpan.FromDays(1));
        var all = await f.ReplayAsync(f.Candidate(threshold: 30), null);

        Assert.Equal(2, lastDay.Decisions.Count);
        Assert.Equal([recent.ActionId], lastDay.Flipped.Select(d => d.Recorded.ActionId));
        Assert.Equal(Monday.AddDays(1).AddHours(1), lastDay.Since);
        Assert.Equal(3, all.Decisions.Count);
        Assert.Equal(2, all.Flipped.Count());
    }

    [Fact]
    public async Task Replay_CandidateTestsFreeText_ReportsUncertain_NotAFlip()
    {
        await using var f = await ReplayFixture.StartAsync();
        var reply = await f.ProposeAsync(Reply("k1"));
        await f.ProposeAsync(Refund(20, "k2"));
        var candidate = f.Candidate(threshold: 50).Replace("  rules:\n",
            "  rules:\n    - id: no-refund-promises\n      effect: forbid\n      principals: [\"*\"]\n      actions: [reply]\n      when: { body: { in: [\"We will refund you\"] } }\n",
            StringComparison.Ordinal);

        var result = await f.ReplayAsync(candidate, null);

        var uncertain = Assert.Single(result.Uncertain);
        Assert.Equal(reply.ActionId, uncertain.Recorded.ActionId);
        Assert.Equal("parameter body not recorded", uncertain.Uncertainty);
        Assert.Empty(result.Flipped);
        Assert.Equal(1, result.UnchangedCount);
    }

    [Fact]
    public async Task Replay_EventRecordedWithoutRole_UsesTheAgentsCurrentRole()
    {
        await using var f = await ReplayFixture.StartAsync();
        await f.Store.CreateAgentAsync(new NewAgent
        {
            ClientId = "support-desk/responder",
            WorkflowId = "support-desk",
            Name = "responder",
            Role = "responder",
            CreatedBy = "ann",
            CreatedAt = Monday,
            Key = new AgentKey("kid-1", """{"kty":"EC"}""", Monday),
        }, Ct);
        // As the action path wrote proposals before it recorded the proposer's role.
        var proposed = new LedgerEntry
        {
            Type = LedgerEventTypes.ActionProposed,
            Actors = [LedgerActor.Agent("support-desk/responder")],
            WorkflowId = "support-desk",
            WorkflowVersion = 1,
            CaseId = "case-1",
            Resource = new LedgerResource("action", "act-old"),
            Outcome = "proposed",
            Content = new JsonObject { ["action"] = "refund", ["values"] = new JsonObject { ["amount"] = 40, ["currency"] = "EUR", ["order_id"] = "SO-000001" } },
        };
        await f.Ledger.AppendAsync(proposed, Ct);
        await f.Ledger.AppendAsync(proposed with
        {
            Id = LedgerEntry.NewId(),
            Type = LedgerEventTypes.PolicyDecided,
            Outcome = "allow",
            Rules = ["refund-small"],
            Content = new JsonObject { ["disposition"] = "execute" },
        }, Ct);

        var result = await f.ReplayAsync(f.Candidate(threshold: 30), null);

        var flip = Assert.Single(result.Flipped);
        Assert.Equal("responder", flip.Recorded.AgentRole);
        Assert.Equal(PolicyOutcome.RequireApproval, flip.Outcome);
    }

    [Fact]
    public async Task Replay_UnknownWorkflowOrAnotherWorkflowsManifest_IsRefused()
    {
        await using var f = await ReplayFixture.StartAsync();
        var replay = new PolicyReplay(f.Store, f.Store, f.Store, f.Clock);

        var unknown = await replay.ReplayAsync("no-such-desk", PolicyTools.LoadFile(f.Candidate(30), "candidate.yaml", _ => true), null, Ct);
        var other = await replay.ReplayAsync("support-desk", PolicyTools.LoadFile(f.Candidate(30).Replace("id: support-desk", "id: other-desk", StringComparison.Ordinal), "candidate.yaml", _ => true), null, Ct);
        var broken = await replay.ReplayAsync("support-desk", PolicyTools.LoadFile(f.Candidate(30).Replace("effect: permit", "effect: allow", StringComparison.Ordinal), "candidate.yaml", _ => true), null, Ct);

        Assert.Equal(PolicyReplayStatus.UnknownWorkflow, unknown.Status);
        Assert.Equal(PolicyReplayStatus.WorkflowMismatch, other.Status);
        Assert.Equal(PolicyReplayStatus.InvalidCandidate, broken.Status);
        Assert.Contains(broken.Diagnostics, d => d.IsError && d.Location.File == "candidate.yaml" && d.Location.Line > 1);
    }

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("24h", 24 * 3600)]
    [InlineData("7d", 7 * 86400)]
    public void TryParseSince_ReadsManifestDurations(string text, int seconds)
    {
        Assert.True(PolicyReplay.TryParseSince(text, out var since));
        Assert.Equal(TimeSpan.FromSeconds(seconds), since);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("d")]
    [InlineData("-1d")]
    [InlineData("0h")]
    [InlineData("7w")]
    [InlineData("99999999999d")]
    public void TryParseSince_RefusesWhatIsNotADuration(string text) => Assert.False(PolicyReplay.TryParseSince(text, out _));

    private static ActionProposal Refund(double amount, string key) => ActionFixture.Refund(amount, key);

    private static ActionProposal Reply(string key) => ActionFixture.Refund(0, key) with
    {
        Action = "reply",
        Parameters = new JsonObject { ["ticket_id"] = "RT-000001", ["body"] = "We will refund you" },
    };

    /// <summary>A clock the test sets.</summary>
    internal sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = Monday;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>The action path at L2 over a real store whose ledger keeps the test's clock, the sample published as version 1.</summary>
    private sealed class ReplayFixture : IAsyncDisposable
    {
        private readonly TestStore _test;

        private ReplayFixture(TestStore test, ActiveManifest active)
        {
            _test = test;
            Ledger = new LedgerWriter(test.Store, Clock, "test-node");
            var manifests = new FixedActiveManifest(active);
            var executor = new ActionExecutor(test.Store, manifests, new RecordingSystem(), Ledger, Clock, _ => false, "node-a");
            Pipeline = new ActionPipeline(
                [
                    new IdempotencyStep(),
                    new SchemaStep(manifests, new PolicyCache()),
                    new PolicyStep(_ => false, TimeSpan.FromHours(1)),
                    new BudgetStep(test.Store),
                    new RecordStep(Ledger, "node-a"),
                    new ExecuteStep(executor),
                ], test.Store, Ledger, Clock);
        }

        public SettableClock Clock { get; } = new();

        public LedgerWriter Ledger { get; }

        public ActionPipeline Pipeline { get; }

        public ISkybridgeStore Store => _test.Store;

        public static async Task<ReplayFixture> StartAsync()
        {
            var test = await TestStore.OpenAsync();
            var yaml = Manifest(50, "L2-approve-consequential");
            var loaded = ManifestLoader.Load(yaml, "manifest.yaml", new ManifestValidationContext { FileExists = _ => true, EvidencedLevel = AutonomyLevel.L2ApproveConsequential });
            Assert.True(loaded.Manifest is not null, string.Join("\n", loaded.Diagnostics));
            var published = await test.Store.PublishManifestAsync(new NewManifestVersion
            {
                WorkflowId = "support-desk",
                WorkflowName = loaded.Manifest.Name,
                Yaml = yaml,
                ContentHash = ManifestHash.Compute(yaml),
                AutonomyLevel = "L2-approve-consequential",
                PublishedBy = "ann",
                PublishedAt = Monday,
            }, Ct);
            await test.Store.ActivateAsync("support-desk", published.Version.Version, "ann", null, Ct);
            return new ReplayFixture(test, new ActiveManifest("support-desk", published.Version.Version, loaded.Manifest));
        }

        /// <summary>The sample with refunds above <paramref name="threshold"/> EUR approved by a person.</summary>
        public string Candidate(int threshold, string level = "L2-approve-consequential") => Manifest(threshold, level);

        public async Task<ActionAnswer> ProposeAsync(ActionProposal proposal)
        {
            var result = await Pipeline.ProposeAsync(proposal, Ct);
            Assert.True(result.Answer is not null, result.Refusal?.Message);
            return result.Answer;
        }

        public Task<PolicyReplayResult> ReplayAsync(string candidateYaml, TimeSpan? since) =>
            new PolicyReplay(Store, Store, Store, Clock).ReplayAsync("support-desk", PolicyTools.LoadFile(candidateYaml, "candidate.yaml", _ => true), since, Ct);

        public async ValueTask DisposeAsync()
        {
            await Ledger.DisposeAsync();
            await _test.DisposeAsync();
        }

        private static string Manifest(int threshold, string level)
        {
            var yaml = File.ReadAllText(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "manifest.yaml"));
            yaml = yaml.Replace("level: L0-draft", "level: " + level, StringComparison.Ordinal)
                .Replace("{ amount: { lte: 50 } }", $"{{ amount: {{ lte: {threshold} }} }}", StringComparison.Ordinal)
                .Replace("{ amount: { gt: 50 } }", $"{{ amount: {{ gt: {threshold} }} }}", StringComparison.Ordinal);
            return System.Text.RegularExpressions.Regex.Replace(yaml, @"refund: \[[^\]]*\]", "refund: [user:lee, user:kim]");
        }

    }
}
