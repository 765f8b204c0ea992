using Skybridge.Core.Evaluation;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class GoldenReferenceTests
{
    private static readonly IReadOnlySet<string>[] Golden =
    [
        GoldenSimilarity.Terms("How do I reset my password for the billing portal?"),
        GoldenSimilarity.Terms("Refund for a double charge on my invoice"),
    ];

    [Fact]
    public void IsUnlike_KnownReference_FlagsOnlyACaseUnlikeEveryGoldenCase()
    {
        var reference = GoldenReference.Of("run-1", Golden);

        Assert.True(reference.Known);
        Assert.Null(reference.UnknownNote);
        Assert.True(reference.IsUnlike("Quel temps fera-t-il demain à Lyon ?"));
        Assert.False(reference.IsUnlike("I was charged double, I want a refund for the invoice"));
    }

    [Fact]
    public void IsUnlike_UnknownReference_NeverFlags_AndSaysWhy()
    {
        var reference = GoldenReference.Unknown("no evaluation run");

        Assert.False(reference.Known);
        Assert.False(reference.IsUnlike("Quel temps fera-t-il demain à Lyon ?"));
        Assert.Equal("unlike_golden_set: unknown (no evaluation run)", reference.UnknownNote);
    }

    [Fact]
    public void Of_RunWithNoGoldenCases_IsUnknown()
    {
        var reference = GoldenReference.Of("run-1", []);

        Assert.False(reference.Known);
        Assert.Equal("unlike_golden_set: unknown (run run-1 has no golden cases)", reference.UnknownNote);
    }
}
