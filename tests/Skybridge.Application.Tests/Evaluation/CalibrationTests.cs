using Skybridge.Application.Evaluation;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Evaluation;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Application.Tests.Evaluation;

/// <summary>The calibration sweep on a copy of the sample manifest and its knowledge base, with a small golden set and bar written here.</summary>
public sealed class CalibrationTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-calibrate-").FullName;

    public CalibrationTests()
    {
        TestStore.CopySample(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest => Path.Combine(_folder, "manifest.yaml");

    /// <summary>Three answerable double-charge tickets and one question no article answers.</summary>
    private const string GoldenSet = """
        version: 1
        cases:
          - id: charge-1
            input: You charged me twice for the same pair of gaiters (order SO-487550, 34.90 EUR each time). Please refund the second charge.
            attributes: { ticket_id: RT-1 }
            expect: { outcome: answer, facts: ["not a real double charge"], cite: [billing/duplicate-charges.md] }
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: charge-2
            input: I was charged two times for order SO-487551, 34.90 EUR twice. Refund the double charge please.
            attributes: { ticket_id: RT-2 }
            expect: { outcome: answer, facts: ["not a real double charge"], cite: [billing/duplicate-charges.md] }
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: charge-3
            input: Why do I see two charges of 34.90 EUR for one order (SO-487552)? Please refund the second charge.
            attributes: { ticket_id: RT-3 }
            expect: { outcome: answer, facts: ["not a real double charge"], cite: [billing/duplicate-charges.md] }
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: weather
            input: What will the weather be like in Lisbon tomorrow afternoon?
            attributes: { ticket_id: RT-4 }
            expect: { outcome: abstain }
            tags: [out-of-scope]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
        """;

    /// <summary>A bar four cases can clear: answer what can be answered, abstain on the rest.</summary>
    internal const string SmallBar = """
          - { metric: answer_accuracy, min: 0.2, min_cases: 1 }
          - { metric: abstention_recall, min: 0.2, min_cases: 1 }
          - { metric: false_abstention_rate, max: 0.8, min_cases: 1 }
        """;

    private async Task<EvaluationSubject> SubjectAsync(string goldenSet, string? bar)
    {
        await TestStore.WriteGoldenSetAsync(_folder, goldenSet, Ct);
        if (bar is not null)
        {
            // The manifest's own threshold is kept off the tests' grids (0.35), so a sweep must add it as a row of its own.
            var yaml = (await File.ReadAllTextAsync(Manifest, Ct)).Replace("abstain_below: 0.30", "abstain_below: 0.35", StringComparison.Ordinal);
            var start = yaml.IndexOf("acceptance_bar:", StringComparison.Ordinal);
            var end = yaml.IndexOf("golden_set:", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Manifest, yaml[..start] + "acceptance_bar:\n" + bar + "\n" + yaml[end..], Ct);
        }

        var prepared = await EvaluationSubjects.FromManifestFileAsync(Manifest, Ct);
        Assert.Empty(prepared.Problems);
        return prepared.Subject!;
    }

    private static readonly double[] Thresholds = [0.1, 0.3, 0.5, 0.7, 0.9];

    [Fact]
    public async Task RunAsync_TwoTopKsFiveThresholds_OneRowPerSetting_PlusTheManifestsOwn_MarkedCurrent()
    {
        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, SmallBar), [3, 8], Thresholds, 2, TimeProvider.System, cancellationToken: Ct);

        // The sample's own setting (top_k 5, abstain_below 0.35) is not in the grid: it is added, so the sweep reads against it.
        Assert.Equal(2 * 5 + 1, result.Rows.Count);
        Assert.Equal(result.Rows.Count, result.Rows.Select(r => r.Setting).Distinct().Count());
        var current = Assert.Single(result.Rows, r => r.Current);
        Assert.Equal(new CalibrationSetting(5, 0.35), current.Setting);
        Assert.Equal(new CalibrationSetting(5, 0.35), result.Current);
        Assert.All(result.Rows, r => Assert.Equal(4, r.Cases));
        // One draft per case and top_k, not per setting.
        Assert.Equal(4 * 3, result.Drafts);
    }

    [Fact]
    public async Task RunAsync_SweepsKeyTermsMissingAtAndMentionedBelow_DraftingEachValueAnew()
    {
        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, SmallBar), [5], [0.1, 0.5], 2, TimeProvider.System, cancellationToken: Ct,
            abstention: new AbstentionSweep([0.01, 1.0], [0.2]));

        // key_terms_missing_at 0.01, 1.0 and the manifest's 0.5; mentioned_below 0.2 and the manifest's 0.1; thresholds 0.1,
        // 0.5 and the manifest's 0.35.
        Assert.Equal(3 * 2 * 3, result.Rows.Count);
        Assert.Equal(result.Rows.Count, result.Rows.Select(r => r.Setting).Distinct().Count());
        var current = Assert.Single(result.Rows, r => r.Current);
        Assert.Equal(new CalibrationSetting(5, 0.35) { KeyTermsMissingAt = 0.5, MentionedBelow = 0.1 }, current.Setting);
        // One draft per case for each top_k and abstention setting; thresholds reuse them.
        Assert.Equal(4 * 3 * 2, result.Drafts);
        // A lower share abstains at least as often, case by case.
        foreach (var group in result.Rows.GroupBy(r => (r.Setting.AbstainBelow, r.Setting.MentionedBelow)))
        {
            var rows = group.OrderBy(r => r.Setting.KeyTermsMissingAt).ToList();
            for (var i = 1; i < rows.Count; i++)
            {
                for (var c = 0; c < rows[i].Scores.Count; c++)
                {
                    Assert.True(!rows[i].Scores[c].Abstained || rows[i - 1].Scores[c].Abstained, $"{rows[i].Scores[c].CaseId} at {rows[i].Setting}");
                }
            }
        }

        var json = Calibration.Json(result);
        Assert.Equal(0.5, (double)json["current"]!["keyTermsMissingAt"]!);
    }

    [Fact]
    public async Task RunAsync_SweepsTheThresholdsReadWithMeaning_DraftingEachValueAnew()
    {
        var dense = new Skybridge.Grounding.Retrieval.Embeddings.DenseRetrieval(Skybridge.Grounding.Retrieval.Embeddings.MiniLmSentenceEmbedder.Instance);

        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, SmallBar), [5], [0.5], 2, TimeProvider.System, cancellationToken: Ct, dense: dense,
            abstention: new AbstentionSweep(null, null) { AgreedMeaningAt = [0.0], MeaningFarBelow = [0.0, 0.99] });

        // agreed_meaning_at 0 and the manifest's 0.5; meaning_far_below 0, 0.99 and the manifest's 0.3; thresholds 0.5 and 0.35.
        Assert.Equal(2 * 3 * 2, result.Rows.Count);
        Assert.Equal(new CalibrationSetting(5, 0.35) { AgreedMeaningAt = 0.5, MeaningFarBelow = 0.3 }, Assert.Single(result.Rows, r => r.Current).Setting);
        Assert.Equal(4 * 2 * 3, result.Drafts);
        // No passage is that close in meaning to any case: at 0.99 every case is handed over, at 0 the answerable ones are not.
        Assert.All(result.Rows.Where(r => r.Setting.MeaningFarBelow == 0.99), r => Assert.Equal(0, r.Answered));
        Assert.All(result.Rows.Where(r => r.Setting.MeaningFarBelow == 0.0 && r.Setting.AgreedMeaningAt == 0.0), r => Assert.True(r.Answered >= 3, $"{r.Answered} answered at {r.Setting}"));
        // Below the confidence threshold, a lower agreed_meaning_at lets at least as many cases through, case by case.
        foreach (var group in result.Rows.GroupBy(r => (r.Setting.AbstainBelow, r.Setting.MeaningFarBelow)))
        {
            var (low, high) = (group.Single(r => r.Setting.AgreedMeaningAt == 0.0), group.Single(r => r.Setting.AgreedMeaningAt == 0.5));
            for (var c = 0; c < low.Scores.Count; c++)
            {
                Assert.True(!low.Scores[c].Abstained || high.Scores[c].Abstained, $"{low.Scores[c].CaseId} at {low.Setting}");
            }
        }

        var json = Calibration.Json(result);
        Assert.Equal(0.3, (double)json["current"]!["meaningFarBelow"]!);
        Assert.Equal(0.5, (double)json["current"]!["agreedMeaningAt"]!);
    }

    [Fact]
    public async Task RunAsync_HigherThreshold_AbstainsAtLeastAsOften_OnEveryCase()
    {
        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, SmallBar), [3, 5], Thresholds, 2, TimeProvider.System, cancellationToken: Ct);

        foreach (var group in result.Rows.GroupBy(r => r.Setting.TopK))
        {
            var rows = group.OrderBy(r => r.Setting.AbstainBelow).ToList();
            for (var i = 1; i < rows.Count; i++)
            {
                Assert.True(rows[i].Answered <= rows[i - 1].Answered, $"top_k {group.Key}: {rows[i].Setting.AbstainBelow} answers more than {rows[i - 1].Setting.AbstainBelow}");
                var abstainedBefore = rows[i - 1].Scores.Where(s => s.Abstained).Select(s => s.CaseId);
                var abstainedNow = rows[i].Scores.Where(s => s.Abstained).Select(s => s.CaseId).ToHashSet();
                Assert.All(abstainedBefore, id => Assert.Contains(id, abstainedNow));
            }

            // The sweep spans the trade-off: the lowest threshold answers every case (the weather too), the highest none.
            Assert.Equal(4, rows[0].Answered);
            Assert.Equal(0, rows[^1].Answered);
        }
    }

    [Fact]
    public async Task RunAsync_Recommendation_ClearsTheBar_WithTheBestAccuracyOfTheSettingsThatClear()
    {
        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, SmallBar), [3, 5], Thresholds, 2, TimeProvider.System, cancellationToken: Ct);

        var best = Assert.IsType<CalibrationRow>(result.Recommended);
        Assert.Null(result.Closest);
        Assert.True(best.Verdict.Clears);
        Assert.All(result.Rows.Where(r => r.Verdict.Clears), r => Assert.True(r[Metrics.AnswerAccuracy].Value <= best[Metrics.AnswerAccuracy].Value));
        // Handing everything over never clears: with nothing answered, false abstention is certain.
        Assert.All(result.Rows.Where(r => r.Answered == 0), r => Assert.False(r.Verdict.Clears));
        Assert.Contains(result.Rows, r => !r.Verdict.Clears);
    }

    [Fact]
    public async Task RunAsync_NoSettingClears_NamesTheClosest_PreferringSettingsThatCanBeMeasured()
    {
        var result = await Calibration.RunAsync(await SubjectAsync(GoldenSet, """
              - { metric: answer_accuracy, min: 0.99, min_cases: 1 }
              - { metric: false_abstention_rate, max: 0.8, min_cases: 1 }
            """), [5], Thresholds, 2, TimeProvider.System, cancellationToken: Ct);

        Assert.Null(result.Recommended);
        var closest = Assert.IsType<CalibrationRow>(result.Closest);
        // Three answerable cases cannot show 0.99 at 95%; the closest still answers them (accuracy is measured), where
        // fewer criteria fail than at thresholds that abstain on tickets the help centre answers.
        Assert.True(closest.Answered >= 3, $"closest answers {closest.Answered}");
        Assert.DoesNotContain(closest.Verdict.Criteria, c => c.Status == CriterionStatus.NotEnoughCases);
        Assert.Equal(Metrics.AnswerAccuracy, Assert.Single(closest.Verdict.Criteria, c => !c.Cleared).Criterion.Metric);
    }

    [Fact]
    public async Task ApplyThreshold_GivesTheDraftTheAnswererMakesWithThatThreshold_OnEverySampleCase()
    {
        // The sweep's shortcut (draft once with the threshold off, apply each threshold after) must be exactly the
        // answerer's own behaviour: checked on the whole sample golden set at the thresholds a pilot would try.
        var subject = await SubjectAsync(await File.ReadAllTextAsync(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "golden-set.yaml"), Ct), bar: null);
        using var index = new PassageIndex();
        index.Upsert(subject.Documents);
        using var engine = AnswerEngines.Create(subject.Manifest.Model);
        var open = new GroundedAnswerer(subject.Manifest with { Retrieval = subject.Manifest.Retrieval with { AbstainBelow = 0 } }, index, engine);
        var replayed = 0;
        foreach (var threshold in new[] { 0.2, 0.35, 0.5, 0.7 })
        {
            var real = new GroundedAnswerer(subject.Manifest with { Retrieval = subject.Manifest.Retrieval with { AbstainBelow = threshold } }, index, engine);
            foreach (var golden in subject.GoldenSet.Cases)
            {
                var expected = await real.AnswerAsync(golden.Input, Ct);
                var drafted = await open.AnswerAsync(golden.Input, Ct);
                if (Calibration.ReplaysByAnswerer(drafted))
                {
                    // A case of several questions is answered again at each threshold by the sweep itself.
                    Assert.True(drafted.Questions >= 2, golden.Id);
                    replayed++;
                    continue;
                }

                var applied = Calibration.ApplyThreshold(drafted, threshold);
                Assert.True(expected.Abstained == applied.Abstained && expected.Reason == applied.Reason && expected.Answer == applied.Answer,
                    $"{golden.Id} at {threshold}: answerer {expected.Reason ?? "answered"}, sweep {applied.Reason ?? "answered"}");
                Assert.Equal(expected.Citations.Select(c => c.Document), applied.Citations.Select(c => c.Document));
            }
        }

        // The shortcut covers nearly every case; only cases of several questions are answered again.
        Assert.InRange(replayed, 1, subject.GoldenSet.Cases.Count * 4 / 5);
    }

    [Fact]
    public void ParseThresholds_RangeAndList_AreExact_AndBadInputIsAProblemNotAnException()
    {
        var range = CalibrationGrid.ParseThresholds("0.1:0.9:0.05", out var problem);
        Assert.Null(problem);
        Assert.Equal(17, range!.Count);
        Assert.Equal(0.25, range[3]);
        Assert.Equal(0.9, range[^1]);
        Assert.Equal([0.2, 0.35], CalibrationGrid.ParseThresholds("0.35, 0.2", out _));
        Assert.Null(CalibrationGrid.ParseThresholds("0.9:0.1:0.05", out problem));
        Assert.Contains("FROM <= TO", problem, StringComparison.Ordinal);
        Assert.Null(CalibrationGrid.ParseThresholds("0.5,1.5", out problem));
        Assert.Contains("between 0 and 1", problem, StringComparison.Ordinal);
        Assert.Null(CalibrationGrid.ParseTopK("3,0", out problem));
        Assert.Equal([3, 5, 8], CalibrationGrid.ParseTopK("8,3,5,3", out _));
    }
}
