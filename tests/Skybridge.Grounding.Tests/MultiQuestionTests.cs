using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A case that asks two things whose answers are on two different pages: each question is searched and answered on its
/// own, in the case's order, and a question the sources do not answer is handed to a person while the other is answered.
/// </summary>
public sealed class MultiQuestionTests : IDisposable
{
    // The checkpoint page mentions the vacuum command in every section, so a search for the whole case fills its top
    // passages with checkpoint sections; the one sentence that says what the vacuum command does is on the other page.
    private const string Checkpoints = """
        # Checkpoints

        ## When a checkpoint runs

        Quillbase runs a checkpoint automatically after a commit when the journal reaches 1000 pages. A checkpoint never runs while the vacuum command holds the file.

        ## Checkpoints and the vacuum command

        The vacuum command and a checkpoint both write the database file, so a checkpoint waits until the vacuum command is done.

        ## Checkpoint settings

        A checkpoint runs on commit by default. The vacuum command does not change when a checkpoint runs.

        ## Checkpoints after a crash

        After a crash the next connection runs a checkpoint first; the vacuum command cannot start until it is done.

        ## Checkpoint starvation

        A checkpoint runs only when no reader is active, and the vacuum command blocks a checkpoint for its whole run.
        """;

    private const string Vacuum = """
        # Vacuum

        ## What the vacuum command does

        The vacuum command rebuilds the database file, repacking it into a minimal amount of disk space. On a laptop the vacuum command takes about two seconds for each gigabyte of the file.
        """;

    private readonly PassageIndex _index = new();

    public MultiQuestionTests() => _index.Upsert([Doc("checkpoints.md", "Checkpoints", Checkpoints), Doc("vacuum.md", "Vacuum", Vacuum)]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title);

    private Task<Draft> AskAsync(string text) =>
        new GroundedAnswerer(GroundingFixture.Manifest() with { Retrieval = new RetrievalSettings { TopK = 3, MinScore = 0.1, AbstainBelow = 0.3 } }, _index, new ExtractiveChatClient())
            .AnswerAsync(text, Ct);

    [Fact]
    public async Task AnswerAsync_AnswersEachQuestionFromItsOwnPage_InTheCasesOrder()
    {
        var draft = await AskAsync("When does Quillbase run a checkpoint, and how long does the vacuum command take?");

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Empty(draft.HandedOver);
        var checkpoint = draft.Citations.FindIndex(c => c.Document == "checkpoints.md" && c.Quote.Contains("when the journal reaches 1000 pages", StringComparison.Ordinal));
        var vacuum = draft.Citations.FindIndex(c => c.Document == "vacuum.md" && c.Quote.Contains("two seconds for each gigabyte", StringComparison.Ordinal));
        var retrieved = string.Join(", ", draft.Retrieved.Select(r => r.Document + "@" + r.Start));
        Assert.True(checkpoint >= 0, draft.Answer);
        Assert.True(vacuum >= 0, draft.Answer + " | " + retrieved);
        Assert.True(checkpoint < vacuum, draft.Answer);
    }

    [Fact]
    public async Task AnswerAsync_AnswersTheCoveredQuestion_AndHandsOverTheOneTheSourcesDoNotAnswer()
    {
        var draft = await AskAsync("When does Quillbase run a checkpoint, and how much does the vacuum command cost?");

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains(draft.Citations, c => c.Document == "checkpoints.md" && c.Quote.Contains("when the journal reaches 1000 pages", StringComparison.Ordinal));
        var handedOver = Assert.Single(draft.HandedOver);
        Assert.Equal("how much does the vacuum command cost?", handedOver);
    }

    [Fact]
    public async Task AnswerAsync_WhenAnsweredByTheConditionThatBringsIt_IsNotHandedOver()
    {
        using var index = new PassageIndex();
        index.Upsert([Doc("wal.md", "Write-ahead log", """
            # Write-ahead log

            Readers do not block writers and a writer does not block readers in WAL mode.

            A checkpoint starts automatically when the write-ahead log reaches 1000 pages.
            """)]);
        var draft = await new GroundedAnswerer(GroundingFixture.Manifest() with { Retrieval = new RetrievalSettings { TopK = 3, MinScore = 0.1, AbstainBelow = 0.3 } }, index, new ExtractiveChatClient())
            .AnswerAsync("Do readers block writers in WAL mode, and when does a checkpoint start?", Ct);

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains(draft.Citations, c => c.Quote.Contains("when the write-ahead log reaches 1000 pages", StringComparison.Ordinal));
        // "When" asks for a time or what brings it: the condition answers it, so no part is left for a person.
        Assert.Empty(draft.HandedOver);
    }

    public void Dispose() => _index.Dispose();
}

internal static class CitationListExtensions
{
    public static int FindIndex(this IReadOnlyList<DraftCitation> citations, Func<DraftCitation, bool> match)
    {
        for (var i = 0; i < citations.Count; i++)
        {
            if (match(citations[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
