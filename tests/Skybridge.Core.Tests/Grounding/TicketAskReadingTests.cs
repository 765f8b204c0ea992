using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

/// <summary>How <see cref="AnswerShapes.AskOf"/> tells a ticket's ask from its story.</summary>
public sealed class TicketAskReadingTests
{
    private static IReadOnlyCollection<string> Words(string text) =>
        [.. text.Split([' ', ',', '.', '?', '!'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 3)];

    [Theory]
    [InlineData("Please refund the second charge.")]
    [InlineData("refund pls")]
    [InlineData("Could you refund the extra one?")]
    [InlineData("I want my money back.")]
    [InlineData("I don't want the order anymore, please return the money.")]
    [InlineData("Kindly cancel my order.")]
    public void IsActionRequest_ReadsRequestsWithoutAQuestionMark(string sentence) =>
        Assert.True(AnswerShapes.IsActionRequest(sentence));

    [Theory]
    [InlineData("Can you send rental gear to Innsbruck?")]
    [InlineData("Both charges are booked on my statement, screenshot attached.")]
    [InlineData("Please tell me how long the link works.")]
    public void IsActionRequest_IsFalseForQuestionsWhetherAndForStories(string sentence) =>
        Assert.False(AnswerShapes.IsActionRequest(sentence));

    [Fact]
    public void AskOf_SeparatesTheRequestFromTheStory()
    {
        var ask = AnswerShapes.AskOf("You charged me twice for the gaiters. Both charges are booked, screenshot attached. Please refund the second charge.", Words);
        Assert.NotNull(ask);
        Assert.Equal("Please refund the second charge.", ask.Text);
        Assert.Equal(AnswerShape.Outcome, ask.Shape);
        Assert.True(ask.HasStory);
    }

    [Fact]
    public void AskOf_TakesTheSentenceBefore_WhenTheQuestionRefersBack()
    {
        var ask = AnswerShapes.AskOf("Hello there. I typed my password wrong and now my account is locked. How long?", Words);
        Assert.NotNull(ask);
        Assert.Equal("I typed my password wrong and now my account is locked. How long?", ask.Text);
        Assert.Equal(AnswerShape.Duration, ask.Shape);
    }

    [Fact]
    public void AskOf_IsNull_ForAReportThatAsksNothing() =>
        Assert.Null(AnswerShapes.AskOf("Charged twice for SO-496118. Both booked, PDF attached.", Words));
}
