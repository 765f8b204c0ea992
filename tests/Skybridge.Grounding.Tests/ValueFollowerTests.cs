using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A question that asks for a value (how busy, how big, how many, how long, how much) is answered by a sentence that
/// states one: after its best sentence, the built-in engine gives the answer's places to the page's sentences that state
/// a value of the asked kind before those that only repeat the question's words; and "how big" asks for a size, which
/// an offset or a version number does not state (docs/performance.md, "A value for a value question").
/// </summary>
public sealed class ValueFollowerTests
{
    // Paragraphs of more than three sentences, so none is quoted whole and the choice of sentences decides.
    private const string TrafficPage =
        "# When to use Widget\n\n" +
        "Widget works well as the database of a website. But a website that is busy with writes needs a server database instead of Widget. " +
        "Widget runs inside the website process. Widget stores everything in one file.\n\n" +
        "## Traffic\n\n" +
        "The traffic a website can send to Widget depends on how the website uses the database. " +
        "Widget suits most low traffic websites and most medium traffic websites. " +
        "As a rule, a site with fewer than 100K hits a day runs fine on Widget. Larger sites have run on it too.\n\n" +
        "## Hosting\n\n" +
        "A website that uses Widget can be hosted anywhere a website can be hosted. Hosting is simple. " +
        "Backups are simple. Upgrades are simple.\n";

    [Fact]
    public void Answer_QuotesTheSentenceThatStatesANumber_WhenSentencesRepeatingTheQuestionOutscoreIt()
    {
        var text = Text(Ask("How busy can a website be and still use Widget?", ("when.md", TrafficPage)));

        Assert.Contains("a site with fewer than 100K hits a day runs fine on Widget", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_OrdersNothing_WhenTheQuestionAsksForNoValue()
    {
        // "Why" asks for no value: the sentences that repeat the question's words keep their places.
        var text = Text(Ask("Why is a busy website a problem for Widget?", ("when.md", TrafficPage)));

        Assert.DoesNotContain("fewer than 100K hits a day", text, StringComparison.Ordinal);
    }

    // The header's sentences state numbers (offsets, a version) and repeat the question's words; only one sentence states
    // a size, and it repeats fewer of them.
    private const string FormatPage =
        "# File format\n\n" +
        "The size of a Widget database is stored in the header of the database. " +
        "The header stores the database size in pages as a 4-byte integer at offset 28. " +
        "Older versions of Widget read the database size from the file size at offset 0. " +
        "Newer versions of Widget read the database size from offset 28 when it is valid. " +
        "Widget version 2 wrote the database size to offset 24 of the header.\n\n" +
        "## Limits\n\n" +
        "Whatever the file system and whatever the platform it runs on, the largest file that Widget can address in any of its builds is about 281 terabytes. Few files come near it. Most are small. Some are empty.\n";

    [Fact]
    public void Answer_QuotesTheSentenceThatStatesASize_ForHowBig()
    {
        var text = Text(Ask("How big can a Widget database get?", ("format.md", FormatPage)));

        Assert.Contains("about 281 terabytes", text, StringComparison.Ordinal);
    }
}
