using Skybridge.Application.Evaluation;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Evaluation;

/// <summary>The evaluation runner on the sample manifest and its knowledge base, with small golden sets written here.</summary>
public sealed class EvaluationRunnerTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-eval-").FullName;

    public EvaluationRunnerTests()
    {
        TestStore.CopySample(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest => Path.Combine(_folder, "manifest.yaml");

    /// <summary>Three cases: one the help centre answers, one it cannot answer, one whose expected fact is wrong.</summary>
    internal const string SmallGoldenSet = """
        version: 1
        cases:
          - id: double-charge
            input: |
              You charged me twice for the same pair of gaiters (order SO-487550, 34.90 EUR each time). Please refund the second charge.
            attributes: { ticket_id: RT-1 }
            expect:
              outcome: answer
              facts: ["refunded within 3-5 working days"]
              cite: [billing/duplicate-charges.md]
              no_actions: [refund]
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: weather
            input: What will the weather be like in Lisbon tomorrow afternoon?
            attributes: { ticket_id: RT-2 }
            expect:
              outcome: abstain
              actions:
                - { action: escalate, parameters: { queue: warranty } }
            tags: [out-of-scope]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: unicorn
            input: |
              You charged me twice for the same pair of gaiters (order SO-487550, 34.90 EUR each time). Please refund the second charge.
            expect:
              outcome: answer
              facts: ["a free unicorn with every refund"]
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
        """;

    private async Task<EvaluationSubject> SubjectAsync(string goldenSet)
    {
        await TestStore.WriteGoldenSetAsync(_folder, goldenSet, Ct);
        var prepared = await EvaluationSubjects.FromManifestFileAsync(Manifest, Ct);
        Assert.Empty(prepared.Problems);
        return prepared.Subject!;
    }

    [Fact]
    public async Task RunAsync_SmallGoldenSet_ScoresEachCaseAsTheUserWouldJudgeIt()
    {
        var run = await EvaluationRunner.RunAsync(await SubjectAsync(SmallGoldenSet), new EvaluationOptions(), TimeProvider.System, cancellationToken: Ct);

        Assert.Equal(["double-charge", "weather", "unicorn"], run.Cases.Select(c => c.CaseId));
        var charge = run.Cases[0];
        Assert.True(charge.Score.Passed, string.Join("; ", charge.Score.Checks.Where(c => !c.Passed).Select(c => c.Reason)));
        Assert.Equal(["billing/duplicate-charges.md"], charge.Output.Citations);
        Assert.Contains("refunded within 3-5 working days", charge.Output.Answer, StringComparison.Ordinal);

        var weather = run.Cases[1];
        Assert.True(weather.Output.Abstained);
        Assert.True(weather.Score.Passed, string.Join("; ", weather.Score.Checks.Where(c => !c.Passed).Select(c => c.Reason)));

        var unicorn = run.Cases[2];
        Assert.False(unicorn.Score.Passed);
        Assert.Contains(unicorn.Score.Checks, c => c.Kind == CheckKind.Fact && !c.Passed && c.Expected.Contains("unicorn", StringComparison.Ordinal));

        Assert.Equal(3, run.Metrics.Overall.Cases);
        Assert.Equal(2, run.Metrics.Overall.Passed);
        Assert.Equal(0.5, run.Metrics.Overall[Metrics.AnswerAccuracy].Value);
        Assert.Equal(1.0, run.Metrics.For("out-of-scope")[Metrics.AbstentionRecall].Value);
        Assert.Equal(0, run.Metrics.Overall[Metrics.CostPerCase].Value);
        // Three cases never clear a bar that needs thirty.
        Assert.False(run.Verdict.Clears);
        Assert.All(run.Verdict.Criteria, c => Assert.Equal(CriterionStatus.NotEnoughCases, c.Status));
        Assert.Null(run.Version);
        Assert.StartsWith("run-", run.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MultiQuestionCase_ReportsTheQuestionLeftToAPerson()
    {
        const string goldenSet = """
            version: 1
            cases:
              - id: label-and-bitcoin
                input: How much does the return label cost from France, and can I pay in bitcoin?
                expect:
                  outcome: answer
                tags: [multi-intent]
                agreed_by: user:maria.lopez
                agreed_on: 2026-09-07
            """;
        var run = await EvaluationRunner.RunAsync(await SubjectAsync(goldenSet), new EvaluationOptions(), TimeProvider.System, cancellationToken: Ct);

        var output = Assert.Single(run.Cases).Output;
        Assert.False(output.Abstained, output.Reason);
        // What a reviewer reads in results.json: the part no claim answers goes to a person.
        var handedOver = Assert.Single(output.HandedOver);
        Assert.Equal("can I pay in bitcoin?", handedOver);
    }

    [Fact]
    public async Task RunAsync_ResponderActions_AreFilledAndDecided_ButNeverExecutedOrStored()
    {
        await using var store = await TestStore.OpenAsync();
        var run = await EvaluationRunner.RunAsync(await SubjectAsync(SmallGoldenSet), new EvaluationOptions(), TimeProvider.System, cancellationToken: Ct);

        // The sample is at L0-draft: the reply to an answered ticket is recorded as a proposal, never run.
        var reply = Assert.Single(run.Cases[0].Output.Proposals);
        Assert.Equal("reply", reply.Action);
        Assert.Equal("RT-1", reply.Parameters["ticket_id"]);
        Assert.Equal(run.Cases[0].Output.Answer, reply.Parameters["body"]);
        Assert.Equal("recordproposal", reply.Disposition);
        Assert.Equal("allow", reply.Decision);
        var escalate = Assert.Single(run.Cases[1].Output.Proposals);
        Assert.Equal(("escalate", "warranty", "RT-2"), (escalate.Action, escalate.Parameters["queue"], escalate.Parameters["ticket_id"]));
        // No ticket id: the responder's template cannot be filled, so nothing would be proposed.
        Assert.Equal(SandboxProposal.NotProposed, Assert.Single(run.Cases[2].Output.Proposals).Disposition);

        var stored = await EvaluationEvidence.RecordAsync(store.Ledger, run, "maria", Ct);

        // The only trace of the run is its evidence: one event, and no action, approval or case anywhere.
        var events = await store.Store.ReadLedgerEventsAsync(0, 100, Ct);
        Assert.Equal([LedgerEventTypes.EvaluationCompleted], events.Select(e => e.Type));
        foreach (var status in new[] { "recorded", "pending_approval", "approved", "executing", "executed", "denied", "failed" })
        {
            Assert.Empty(await store.Store.ListActionsByStatusAsync(status, 100, Ct));
        }

        var read = await store.Store.GetEvaluationRunAsync(run.Id, Ct);
        Assert.Equal(stored, read);
        Assert.Equal(StoredEvaluationRun.Fails, read!.Verdict);
        var cases = EvaluationEvidence.CasesOf(read);
        Assert.Equal(run.Scores.Select(s => (s.CaseId, s.Passed)), cases.Select(c => (c.CaseId, c.Score.Passed)));
        Assert.Equal(run.Cases[2].Score.Checks, cases[2].Score.Checks);
    }

    [Fact]
    public async Task RunAsync_Repeats_RunsEachCaseKTimes_AndPassKCountsOnlyCasesRightEveryTime()
    {
        var progress = new List<int>();
        var run = await EvaluationRunner.RunAsync(await SubjectAsync(SmallGoldenSet), new EvaluationOptions { Repeat = 3, Parallelism = 2 },
            TimeProvider.System, new Progress(progress), Ct);

        Assert.Equal(3, run.PassK.K);
        Assert.All(run.Cases, c => Assert.Equal(3, c.Repeats));
        Assert.Equal([3, 3, 0], run.Cases.Select(c => c.Passes));
        Assert.Equal(2.0 / 3, run.PassK.Overall.Value);
        // Metrics count each case once, not once per repeat.
        Assert.Equal(3, run.Metrics.Overall.Cases);
        Assert.Equal(9, progress.Count);
    }

    [Fact]
    public async Task FromManifestFile_BadGoldenSet_ListsEveryProblemWithItsPlace_AndGivesNothingToRun()
    {
        await TestStore.WriteGoldenSetAsync(_folder, """
            version: 1
            cases:
              - id: a
                input: x
                expect: { outcome: abstain }
                tags: [abstian]
                agreed_by: user:maria.lopez
                agreed_on: 2026-09-07
              - id: a
                input: y
                expect: { outcome: abstain }
                agreed_by: user:maria.lopez
                agreed_on: 2026-09-07
            """, Ct);

        var prepared = await EvaluationSubjects.FromManifestFileAsync(Manifest, Ct);

        Assert.Null(prepared.Subject);
        Assert.Contains(prepared.Problems, p => p.StartsWith("golden-set.yaml:6:", StringComparison.Ordinal) && p.Contains("SB1603", StringComparison.Ordinal));
        Assert.Contains(prepared.Problems, p => p.StartsWith("golden-set.yaml:9:", StringComparison.Ordinal) && p.Contains("SB1602", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FromManifestFile_PinThatDoesNotMatch_IsAProblem()
    {
        await TestStore.WriteGoldenSetAsync(_folder, SmallGoldenSet, Ct, pin: new string('0', 64));

        var prepared = await EvaluationSubjects.FromManifestFileAsync(Manifest, Ct);

        Assert.Null(prepared.Subject);
        Assert.Contains(prepared.Problems, p => p.Contains("SB1155", StringComparison.Ordinal) && p.Contains("manifest.yaml:", StringComparison.Ordinal));
    }

    private sealed class Progress(List<int> seen) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (seen)
            {
                seen.Add(value);
            }
        }
    }
}
