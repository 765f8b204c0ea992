using Skybridge.Core.Grounding;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A ticket that lists its problems without a question mark ("Two problems: A, and B", "1) A, 2) B") asks each of them:
/// each item is a part of its own, judged and answered or handed over by itself. An ordinary sentence with "and" is not
/// an enumeration and stays one part.
/// </summary>
public sealed class EnumeratedPartsTests
{
    [Fact]
    public void Parts_SplitsAnAnnouncedEnumeration_IntoItsItems()
    {
        const string text = "Two problems: the stove valve leaks gas after a week of camping, and the refund for my returned jacket never came.";

        var parts = QuestionReading.Parts(text);

        Assert.Equal(
            ["Two problems: the stove valve leaks gas after a week of camping", "the refund for my returned jacket never came."],
            parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Null(p.Context));
    }

    [Fact]
    public void Parts_SplitsItemsSeparatedBySemicolons_AfterAnAnnouncement()
    {
        var parts = QuestionReading.Parts("I have a few questions about my rental: the deposit is still held on my card; the tent came back with a torn pole sleeve; the invoice shows the wrong address.");

        Assert.Equal(3, parts.Count);
        Assert.Equal("the tent came back with a torn pole sleeve", parts[1].Text);
        Assert.Equal("the invoice shows the wrong address.", parts[2].Text);
    }

    [Fact]
    public void Parts_SplitsNumberedItemsWithinOneSentence()
    {
        var parts = QuestionReading.Parts("My order SO-1234: 1) the headlamp does not charge anymore, 2) the parcel with the boots is missing.");

        Assert.Equal(["My order SO-1234: 1) the headlamp does not charge anymore", "2) the parcel with the boots is missing."], parts.Select(p => p.Text));
    }

    [Fact]
    public void Parts_StartsANewPart_AtASentenceOpeningWithSecond()
    {
        var parts = QuestionReading.Parts("First, the zipper of the tent door broke on the second night. Second, my parcel is a week late.");

        Assert.Equal(["First, the zipper of the tent door broke on the second night.", "Second, my parcel is a week late."], parts.Select(p => p.Text));
    }

    [Theory]
    [InlineData("Can I return the tent and the footprint to a store, and get my deposit back?")]
    [InlineData("The zipper of my tent door broke after a week, and the stitching of the fly came loose too.")]
    [InlineData("How do I clean and reproof the rain jacket, and the matching trousers?")]
    [InlineData("I have a few questions: can I return the tent to a store, and the footprint too?")]
    public void Parts_KeepsOnePart_WhenAndJoinsTheWordsOfOneAsk(string text)
    {
        var parts = QuestionReading.Parts(text);

        Assert.Single(parts);
    }
}
