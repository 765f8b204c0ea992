using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Which sentences of the retrieved pages the built-in engine quotes, on small hand-written pages: each question of a
/// case gets sentences of its own, and a yes or no question is answered by the sentence that says whether.
/// </summary>
public sealed class SentenceChoiceRulesTests
{
    [Fact]
    public void Answer_QuotesASentenceOfItsOwn_ForAQuestionThatBorrowsTheSubjectOfTheOneBefore()
    {
        // "when does it checkpoint?" borrows "readers block writers in WAL mode": the sentences about readers and writers
        // share more of its words than the one about checkpoints, but they already answer the first question.
        var answer = Ask("Do readers block writers in WAL mode, and when does it checkpoint?",
            ("wal.md", "In WAL mode readers do not block writers. In WAL mode writers do not block readers either. WAL mode readers and writers run at the same time. A checkpoint runs when the log reaches 1000 pages."));
        Assert.Contains("In WAL mode readers do not block writers.", Text(answer), StringComparison.Ordinal);
        Assert.Contains("A checkpoint runs when the log reaches 1000 pages.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheListsLeadIn_WhenItQuotesItsItems()
    {
        // The items say which mode is safe; only the lead-in says that there are modes to choose from.
        var answer = Ask("Is the library thread safe?",
            ("threads.md", "The library supports two different threading modes:\n\n- Single-thread. In this mode, the library is unsafe to use in more than one thread at once.\n- Serialized. In this mode, the library is safe to use from many threads without restriction.\n\nThe mode is chosen when the library is compiled."));
        var text = Text(answer);
        Assert.Contains("Serialized. In this mode, the library is safe to use from many threads", text, StringComparison.Ordinal);
        Assert.StartsWith("The library supports two different threading modes:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_LeadsWithTheSentenceThatSaysWhether_ForAYesOrNoQuestion()
    {
        var answer = Ask("Can I raise the number of attached databases to 200?",
            ("limits.md", "Attached databases share the connection that attached them. The number of attached databases is set to 10 by default. The number of attached databases cannot be raised above 125."));
        Assert.StartsWith("The number of attached databases cannot be raised above 125.", Text(answer), StringComparison.Ordinal);
        Assert.Contains("set to 10 by default", Text(answer), StringComparison.Ordinal);
    }
}
