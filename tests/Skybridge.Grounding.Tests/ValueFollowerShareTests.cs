using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A reference page states a limit in words of its own ("By default a build allows 2000 columns") while the sentences
/// that repeat the question's words take the follower share; for a value question, a follower that states a value of the
/// asked kind is weighed for the share as if it shared one more of the question's words, without changing which page or
/// which best sentence is chosen (docs/performance.md, "A value for a value question: the follower share").
/// </summary>
public sealed class ValueFollowerShareTests
{
    // Every sentence names Gizmo, so that word says little; the value's sentence shares only it, and is long.
    private const string LimitsPage =
        "# Limits of Gizmo\n\n" +
        "The maximum number of columns in a Gizmo table is set by the maximum column option of the Gizmo table builder. " +
        "The maximum number of tables in Gizmo is not limited by a column option. " +
        "Each Gizmo table keeps its column names in the Gizmo schema table. " +
        "Gizmo reads the schema table when it opens.\n\n" +
        "Gizmo ships with a build that, unless the people who package it for small devices with very little memory decide otherwise in their own configuration files, allows 2000 fields per record. " +
        "Gizmo is written in C. Gizmo is small. Gizmo is fast.\n";

    [Fact]
    public void Answer_QuotesTheSentenceThatStatesANumber_WhenItSharesOneQuestionWordAndFallsBelowTheShare()
    {
        var text = Text(Ask("What is the maximum number of columns in a Gizmo table?", ("limits.md", LimitsPage)));

        Assert.StartsWith("The maximum number of columns in a Gizmo table is set by", text, StringComparison.Ordinal);
        Assert.Contains("allows 2000 fields per record", text, StringComparison.Ordinal);
    }
}
