using Skybridge.Application.Evaluation;
using Skybridge.Core.Ledger;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Application.Tests.Evaluation;

/// <summary>
/// The sweep's replay of a threshold on a draft made with the threshold off must be the draft the answerer makes at that
/// threshold, for a case of several questions too: one that abstained as a whole with the threshold off may be answered
/// in part at a higher threshold, question by question.
/// </summary>
public sealed class CalibrationReplayTests : IDisposable
{
    private const string Checkpoints = """
        # Checkpoints

        ## When a checkpoint runs

        Quillbase runs a checkpoint automatically after a commit when the journal reaches 1000 pages.

        ## Checkpoint starvation

        Starvation happens when a reader stays active for hours.
        """;

    private const string Vacuum = """
        # Vacuum

        ## How long the vacuum command takes

        On a laptop the vacuum command takes about two seconds for each gigabyte of the file.
        """;

    // Covered whole by one passage of the vacuum page.
    private const string Covered = "How long does the vacuum command take on a laptop?";

    // Covered in part by the starvation passage.
    private const string Partly = "Does starvation happen when a reader of the journal stays active?";

    private const string Case = Covered + " " + Partly;

    private const double MinScore = 0.7;

    private const double Threshold = 0.9;

    private readonly PassageIndex _index = new();

    public CalibrationReplayTests() => _index.Upsert([Doc("checkpoints.md", "Checkpoints", Checkpoints), Doc("vacuum.md", "Vacuum", Vacuum)]);

    public void Dispose() => _index.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string title, string text) => new()
    {
        Source = "docs", Path = path, Version = "v-" + TextDigest.Sha256(text)[..12], Id = Path.GetFileNameWithoutExtension(path),
        Title = title, Status = "current", Classification = "public", Text = text,
    };

    private static WorkflowManifest Manifest(double abstainBelow) => new()
    {
        Id = "docs",
        Name = "Docs",
        Owner = new Principal(PrincipalKind.User, "maria"),
        Authorities = new DecisionAuthorities(),
        Model = new ModelSettings { Provider = ModelProvider.BuiltinExtractive },
        Autonomy = new AutonomySettings { Level = AutonomyLevel.L0Draft },
        Retrieval = new RetrievalSettings { TopK = 4, MinScore = MinScore, AbstainBelow = abstainBelow },
        Sources = [new DataSource { Name = "docs", Path = "docs", Formats = ["markdown"], Classification = DataClassification.Public }],
    };

    [Fact]
    public async Task ReplaysByAnswerer_ACaseOfSeveralQuestionsThatAbstainedAsAWhole_WhenAThresholdWouldAnswerOneOfItsQuestions()
    {
        // The case as a whole: no passage covers min_score of it; each question alone has a passage over min_score, the
        // covered one over the threshold, the other below it.
        Assert.True(_index.Search(Case, 4).Max(h => h.Coverage) < MinScore, $"case {_index.Search(Case, 4).Max(h => h.Coverage):0.00}");
        var partly = _index.Search(Partly, 2).Max(h => h.Coverage);
        Assert.InRange(partly, MinScore, Threshold - 0.01);
        Assert.True(_index.Search(Covered, 2).Max(h => h.Coverage) >= Threshold);

        using var engine = new ExtractiveChatClient();
        var open = await new GroundedAnswerer(Manifest(0), _index, engine).AnswerAsync(Case, Ct);
        var real = await new GroundedAnswerer(Manifest(Threshold), _index, engine).AnswerAsync(Case, Ct);

        // With the threshold off every question passes alone, so the case abstains whole; at the threshold one
        // question is answered and the other handed over.
        Assert.True(open.Abstained, string.Join("; ", open.HandOvers.Select(h => h.Reason + " " + h.Detail)));
        Assert.Equal(2, open.Questions);
        Assert.False(real.Abstained, real.Reason + ": " + real.ReasonDetail);
        Assert.Equal([Partly], real.HandedOver);

        // The sweep must not turn the open draft into an abstention the answerer does not make.
        var replayed = Calibration.ReplaysByAnswerer(open);
        Assert.True(replayed || Calibration.ApplyThreshold(open, Threshold).Abstained == real.Abstained,
            $"sweep keeps '{open.Reason}', answerer answers");
        Assert.True(replayed);
    }
}
