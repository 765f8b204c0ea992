using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

public sealed class QuestionPartsTests
{
    [Fact]
    public void Parts_BorrowsTheSubjectBefore_WhenAPartRefersBackWithAPronoun()
    {
        var parts = QuestionReading.Parts("Are foreign keys on by default, and how do I enable them?");

        Assert.Equal(2, parts.Count);
        Assert.Null(parts[0].Context);
        Assert.Equal("foreign keys default", parts[1].Context);
        Assert.Equal("foreign keys default how do I enable them?", parts[1].Query);
    }

    [Fact]
    public void Parts_BorrowsTheSubjectBefore_WhenAPartAsksHowItWorks()
    {
        var parts = QuestionReading.Parts("What does VACUUM do, and how does it work?");

        Assert.Equal(["What does VACUUM do", "how does it work?"], parts.Select(p => p.Text));
        Assert.Equal("VACUUM", parts[1].Context);
    }

    [Fact]
    public void Parts_BorrowsTheHeadOfTheQuestionWord_WhenTheSecondLeavesItOut()
    {
        var parts = QuestionReading.Parts("Which version added STRICT tables and which added generated columns?");

        Assert.Equal(["Which version added STRICT tables", "which added generated columns?"], parts.Select(p => p.Text));
        Assert.Equal("version", parts[1].Context);
        Assert.Equal("version which added generated columns?", parts[1].Query);
    }

    [Fact]
    public void Parts_BorrowsTheWordsASecondPartLeavesOutOfTheFrameItRepeats()
    {
        var parts = QuestionReading.Parts("What is the default limit on attached databases, and what is the default on columns?");

        Assert.Equal("limit", parts[1].Context);
    }

    [Fact]
    public void Parts_BorrowsTheWordsOfThePartBefore_WhenAPartRefersBackToItsTopic()
    {
        var parts = QuestionReading.Parts("In WAL mode, do readers block writers and when does it checkpoint?");

        Assert.Equal(["In WAL mode, do readers block writers", "when does it checkpoint?"], parts.Select(p => p.Text));
        Assert.Equal("WAL mode readers block writers", parts[1].Context);
    }

    [Fact]
    public void Parts_BorrowsTheWordsBefore_WhenAPartHasOnlyOneWordOfItsOwn()
    {
        var parts = QuestionReading.Parts("Which photos do you need for a warranty claim, and how many can I upload?");

        Assert.Equal("photos need warranty claim", parts[1].Context);
    }

    [Fact]
    public void Parts_BorrowsNothing_WhenEachPartNamesItsOwnSubject()
    {
        var parts = QuestionReading.Parts("How long do I have to return my boots? And how much is the label from Spain?");

        Assert.All(parts, p => Assert.Null(p.Context));
        Assert.Equal(parts.Select(p => p.Text), parts.Select(p => p.Query));
    }

    [Fact]
    public void Parts_AsksOnceForEachSubject_WhenTheSubjectIsCoordinated()
    {
        const string text = "When did RETURNING and window functions arrive in SQLite?";
        var parts = QuestionReading.Parts(text);

        Assert.Equal(["When did RETURNING arrive in SQLite?", "When did window functions arrive in SQLite?"], parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Equal(new TextSpan(0, text.Length), p.Span));
        Assert.All(parts, p => Assert.Null(p.Context));
    }

    [Fact]
    public void Parts_AsksOnceForEachSubject_KeepingTheStatementsBeforeWithTheFirst()
    {
        var parts = QuestionReading.Parts("We ship an app on SQLite. Are foreign keys and triggers enabled by default?");

        Assert.Equal(["We ship an app on SQLite. Are foreign keys enabled by default?", "Are triggers enabled by default?"], parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Equal(AnswerShape.YesNo, p.Shape));
    }

    [Fact]
    public void Parts_StartsANewAsk_AtASentenceThatTurnsToAnotherMatter()
    {
        var parts = QuestionReading.Parts("The zip of my tent was broken when it arrived. Also, can I exchange the tent for a bigger one?");

        Assert.Equal(["The zip of my tent was broken when it arrived.", "Also, can I exchange the tent for a bigger one?"], parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Null(p.Context));
    }

    [Fact]
    public void Parts_StartsANewAsk_ForARequestWithoutAQuestion_AndBorrowsNothingForIt()
    {
        var parts = QuestionReading.Parts("My invoice for March is missing from the account page. And while you're at it, please close my newsletter subscription, it is too much.");

        Assert.Equal(2, parts.Count);
        Assert.StartsWith("And while you're at it", parts[1].Text, StringComparison.Ordinal);
        Assert.Null(parts[1].Context);
    }

    [Fact]
    public void Parts_ReadsNumberedMatters_WithTheAnnouncementAsTheFirstOnesLeadIn()
    {
        const string text = "Two questions. 1) My parcel is late, please check it. 2) Where do I find my invoice?";
        var parts = QuestionReading.Parts(text);

        Assert.Equal(["Two questions. 1) My parcel is late, please check it.", "2) Where do I find my invoice?"], parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Equal(p.Text, p.Span.Of(text)));
    }

    [Fact]
    public void Parts_KeepsOneAsk_WhenASentenceGoesOnWithAPlainAnd() =>
        Assert.Single(QuestionReading.Parts("My parcel is late. And the tracking page shows nothing at all."));

    [Theory]
    [InlineData("Are EXCLUSIVE and IMMEDIATE the same in WAL mode?")]
    [InlineData("What is the difference between DELETE and TRUNCATE?")]
    [InlineData("How do I import and export CSV files?")]
    [InlineData("Does SQLite have booleans and dates as types?")]
    [InlineData("Can you and your team help me?")]
    public void Parts_KeepsOneQuestion_WhenTheCoordinationIsNotOfTwoSubjects(string question) =>
        Assert.Single(QuestionReading.Parts(question));

    [Theory]
    [InlineData("On a laptop the vacuum command takes about two seconds for each gigabyte of the file.")]
    [InlineData("The lock is released in a few minutes.")]
    public void Addresses_TakesADurationInWords_ForHowLong(string sentence) =>
        Assert.True(QuestionReading.Addresses(AnswerShape.Duration, sentence));
}
